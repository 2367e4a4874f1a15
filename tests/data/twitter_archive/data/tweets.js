window.YTD.tweets.part0 = [
  {
    "tweet" : {
      "edit_info" : {
        "initial" : {
          "editTweetIds" : [
            "1600000000000000101"
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
        "66"
      ],
      "favorite_count" : "0",
      "id_str" : "1600000000000000101",
      "truncated" : false,
      "retweet_count" : "0",
      "id" : "1600000000000000101",
      "created_at" : "Mon Nov 02 10:00:00 +0000 2026",
      "favorited" : false,
      "full_text" : "Glad tidings for the soldiers of the khilafah &amp; their brothers",
      "lang" : "en"
    }
  },
  {
    "tweet" : {
      "edit_info" : {
        "initial" : {
          "editTweetIds" : [
            "1600000000000000102"
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
        "urls" : [
          {
            "url" : "https://t.co/abc",
            "expanded_url" : "https://news.example/trial",
            "display_url" : "news.example/trial",
            "indices" : [
              "53",
              "76"
            ]
          }
        ]
      },
      "display_text_range" : [
        "0",
        "69"
      ],
      "favorite_count" : "0",
      "id_str" : "1600000000000000102",
      "truncated" : false,
      "retweet_count" : "0",
      "id" : "1600000000000000102",
      "created_at" : "Mon Nov 02 11:30:00 +0000 2026",
      "favorited" : false,
      "full_text" : "Police say the trial of two suspects opens next week https://t.co/abc",
      "lang" : "en"
    }
  },
  {
    "tweet" : {
      "edit_info" : {
        "initial" : {
          "editTweetIds" : [
            "1600000000000000103"
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
        "user_mentions" : [
          {
            "name" : "Example News",
            "screen_name" : "example_news",
            "indices" : [
              "0",
              "13"
            ],
            "id_str" : "9000000102",
            "id" : "9000000102"
          }
        ],
        "urls" : []
      },
      "display_text_range" : [
        "0",
        "42"
      ],
      "favorite_count" : "0",
      "id_str" : "1600000000000000103",
      "truncated" : false,
      "retweet_count" : "0",
      "id" : "1600000000000000103",
      "created_at" : "Tue Nov 03 09:15:00 +0000 2026",
      "favorited" : false,
      "full_text" : "@example_news thanks, see you at the match",
      "lang" : "en",
      "in_reply_to_status_id_str" : "1600000000000000050",
      "in_reply_to_status_id" : "1600000000000000050",
      "in_reply_to_user_id_str" : "9000000102",
      "in_reply_to_screen_name" : "example_news"
    }
  },
  {
    "tweet" : {
      "edit_info" : {
        "initial" : {
          "editTweetIds" : [
            "1600000000000000104"
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
        "40"
      ],
      "favorite_count" : "0",
      "id_str" : "1600000000000000104",
      "truncated" : false,
      "retweet_count" : "0",
      "id" : "1600000000000000104",
      "created_at" : "Tue Nov 03 12:00:00 +0000 2026",
      "favorited" : false,
      "full_text" : "a photo from the market https://t.co/pic",
      "lang" : "en",
      "extended_entities" : {
        "media" : [
          {
            "expanded_url" : "https://twitter.com/example_ansar/status/1600000000000000104/photo/1",
            "indices" : [
              "24",
              "40"
            ],
            "url" : "https://t.co/pic",
            "media_url" : "http://pbs.example/media/m1.jpg",
            "id_str" : "1600000000000000901",
            "id" : "1600000000000000901",
            "media_url_https" : "https://pbs.example/media/m1.jpg",
            "type" : "photo",
            "display_url" : "pic.twitter.com/pic"
          }
        ]
      }
    }
  },
  {
    "tweet" : {
      "retweeted" : false,
      "source" : "<a href=\"https://mobile.twitter.com\" rel=\"nofollow\">Twitter Web App</a>",
      "entities" : {
        "hashtags" : [],
        "symbols" : [],
        "user_mentions" : [],
        "urls" : [
          {
            "url" : "https://t.co/note1",
            "expanded_url" : "https://twitter.com/i/web/status/1600000000000000106",
            "display_url" : "twitter.com/i/web/status/1…",
            "indices" : [
              "273",
              "291"
            ]
          }
        ]
      },
      "display_text_range" : [
        "0",
        "291"
      ],
      "favorite_count" : "0",
      "id_str" : "1600000000000000106",
      "truncated" : false,
      "retweet_count" : "0",
      "id" : "1600000000000000106",
      "created_at" : "Wed Nov 04 18:00:00 +0000 2026",
      "favorited" : false,
      "full_text" : "A long day at the market: the price of bread went up again, the bakery on the corner closed early, and the bus to the valley ran late because of the rain. We waited two hours at the stop and talked about the harvest, the wedding next week and the football on Friday. On t… https://t.co/note1",
      "lang" : "en"
    }
  },
  {
    "tweet" : {
      "retweeted" : false,
      "source" : "<a href=\"https://mobile.twitter.com\" rel=\"nofollow\">Twitter for Android</a>",
      "entities" : {
        "hashtags" : [],
        "symbols" : [],
        "user_mentions" : [],
        "urls" : [],
        "media" : [
          {
            "expanded_url" : "https://twitter.com/example_ansar/status/1600000000000000107/video/1",
            "indices" : [
              "12",
              "35"
            ],
            "url" : "https://t.co/vid",
            "media_url" : "http://pbs.example/ext_tw_video_thumb/1/pu/img/thumb.jpg",
            "id_str" : "1600000000000000900",
            "id" : "1600000000000000900",
            "media_url_https" : "https://pbs.example/ext_tw_video_thumb/1/pu/img/thumb.jpg",
            "type" : "photo",
            "display_url" : "pic.example/vid"
          }
        ]
      },
      "display_text_range" : [
        "0",
        "11"
      ],
      "favorite_count" : "0",
      "id_str" : "1600000000000000107",
      "truncated" : false,
      "retweet_count" : "0",
      "id" : "1600000000000000107",
      "created_at" : "Thu Nov 05 09:00:00 +0000 2026",
      "favorited" : false,
      "full_text" : "the weekend https://t.co/vid",
      "lang" : "en",
      "extended_entities" : {
        "media" : [
          {
            "expanded_url" : "https://twitter.com/example_ansar/status/1600000000000000107/video/1",
            "indices" : [
              "12",
              "35"
            ],
            "url" : "https://t.co/vid",
            "media_url" : "http://pbs.example/ext_tw_video_thumb/1/pu/img/thumb.jpg",
            "id_str" : "1600000000000000900",
            "id" : "1600000000000000900",
            "media_url_https" : "https://pbs.example/ext_tw_video_thumb/1/pu/img/thumb.jpg",
            "type" : "video",
            "display_url" : "pic.example/vid",
            "video_info" : {
              "aspect_ratio" : [
                "4",
                "3"
              ],
              "duration_millis" : "6000",
              "variants" : [
                {
                  "content_type" : "application/x-mpegURL",
                  "url" : "https://video.example/ext_tw_video/1/pu/pl/list.m3u8?tag=12"
                },
                {
                  "bitrate" : "256000",
                  "content_type" : "video/mp4",
                  "url" : "https://video.example/ext_tw_video/1/pu/vid/160x120/small.mp4?tag=12"
                },
                {
                  "bitrate" : "832000",
                  "content_type" : "video/mp4",
                  "url" : "https://video.example/ext_tw_video/1/pu/vid/320x240/v1.mp4?tag=12"
                }
              ]
            }
          }
        ]
      }
    }
  }
]