window.YTD.account.part0 = [
  {
    "account" : {
      "email" : "owner@example.org",
      "createdVia" : "web",
      "username" : "example_ansar",
      "accountId" : "9000000101",
      "createdAt" : "2026-10-30T08:00:00.000Z",
      "accountDisplayName" : "Example Owner"
    }
  }
]