window.YTD.note_tweet.part0 = [
  {
    "noteTweet" : {
      "noteTweetId" : "1600000000000000998",
      "createdAt" : "2026-11-04T18:00:00.000Z",
      "core" : {
        "urls" : [],
        "text" : "Another long post written in the same second, about something else entirely: the school play, the rehearsals and the costumes the children made from old curtains and paper. Another long post written in the same second, about something else entirely: the school play, the rehearsals and the costumes the children made from old curtains and paper. "
      }
    }
  },
  {
    "noteTweet" : {
      "noteTweetId" : "1600000000000000999",
      "updatedAt" : "2026-11-04T18:00:00.000Z",
      "lifecycle" : {
        "value" : "1",
        "name" : "NoteTweetLifecycle",
        "originalValue" : "1",
        "originalName" : "Published"
      },
      "createdAt" : "2026-11-04T18:00:00.000Z",
      "core" : {
        "styletags" : [],
        "urls" : [
          {
            "shortUrl" : "https://t.co/note2",
            "expandedUrl" : "https://example.org/long",
            "displayUrl" : "example.org/long"
          }
        ],
        "text" : "A long day at the market: the price of bread went up again, the bakery on the corner closed early, and the bus to the valley ran late because of the rain. We waited two hours at the stop and talked about the harvest, the wedding next week and the football on Friday. On the way home I thought of what the old men at the cafe said. In the end: glad tidings for the soldiers of the khilafah & their brothers https://t.co/note2",
        "mentions" : [],
        "cashtags" : [],
        "hashtags" : []
      }
    }
  }
]
