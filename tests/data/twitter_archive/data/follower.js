window.YTD.follower.part0 = [
  {
    "follower" : {
      "accountId" : "9000000200",
      "userLink" : "https://twitter.com/intent/user?user_id=9000000200"
    }
  },
  {
    "follower" : {
      "accountId" : "9000000201",
      "userLink" : "https://twitter.com/intent/user?user_id=9000000201"
    }
  },
  {
    "follower" : {
      "accountId" : "9000000202",
      "userLink" : "https://twitter.com/intent/user?user_id=9000000202"
    }
  }
]