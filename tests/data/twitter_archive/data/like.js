window.YTD.like.part0 = [
  {
    "like" : {
      "tweetId" : "1600000000000000050",
      "fullText" : "Police say the trial opens next week",
      "expandedUrl" : "https://twitter.com/i/web/status/1600000000000000050"
    }
  }
]