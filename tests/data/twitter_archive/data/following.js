window.YTD.following.part0 = [
  {
    "following" : {
      "accountId" : "9000000301",
      "userLink" : "https://twitter.com/intent/user?user_id=9000000301"
    }
  },
  {
    "following" : {
      "accountId" : "9000000302",
      "userLink" : "https://twitter.com/intent/user?user_id=9000000302"
    }
  }
]