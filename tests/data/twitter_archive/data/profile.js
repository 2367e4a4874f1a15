window.YTD.profile.part0 = [
  {
    "profile" : {
      "description" : {
        "bio" : "synthetic test account",
        "website" : "",
        "location" : ""
      },
      "avatarMediaUrl" : "https://pbs.example/profile_images/1/a.jpg",
      "headerMediaUrl" : "https://pbs.example/b/1"
    }
  }
]