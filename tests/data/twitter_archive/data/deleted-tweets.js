window.YTD.deleted_tweets.part0 = [
  {
    "tweet" : {
      "edit_info" : {
        "initial" : {
          "editTweetIds" : [
            "1600000000000000105"
          ],
          "editableUntil" : "2026-11-02T11:00:00.000Z",
          "editsRemaining" : "5",
          "isEditEligible" : true
        }
      },
      "retweeted" : false,
      "source" : "<a href=\"https://mobile.twitter.com\" rel=\"nofollow\">Twitter Web App</a>",
      "entities" : {
        "hashtags" : [],
        "symbols" : [],
        "user_mentions" : [],
        "urls" : []
      },
      "display_text_range" : [
        "0",
        "87"
      ],
      "favorite_count" : "0",
      "id_str" : "1600000000000000105",
      "truncated" : false,
      "retweet_count" : "0",
      "id" : "1600000000000000105",
      "created_at" : "Wed Nov 04 08:00:00 +0000 2026",
      "favorited" : false,
      "full_text" : "RT @example_channel: Glad tidings for the soldiers of the khilafah &amp; their brothers",
      "lang" : "en",
      "deleted_at" : "Thu Nov 05 08:00:00 +0000 2026"
    }
  }
]