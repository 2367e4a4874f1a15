#!/usr/bin/env python3
"""Make N tweet-length posts for throughput benchmarks, as raqib JSON Lines and as plain
text lines (for fastText), with the same texts in the same order.

Texts are drawn from the labelled data (../shared/data) when present, else from the
project's corpus. Mentions and numbers are re-drawn per post so that the vocabulary has the
long tail of a live stream rather than a few thousand repeated texts; accounts follow a
Zipf-like law over --accounts accounts.

With --telegram, OUT.jsonl is instead one Telegram Desktop export (result.json) of one
channel whose N messages carry the same texts (every seventh as entities with a link), with
the fields Telegram Desktop writes (`date`, `text_entities`), for the reader that streams
such exports.

With --tweets, OUT.jsonl holds one Twitter API v1.1 status a line, as the streaming and
search APIs wrote them (about 3 KB each: the author inline with the profile fields v1.1
carries, entities, counts), for the tweet-object reader.

With --outbox, OUT.jsonl is instead one ActivityPub collection as a Mastodon account
archive's outbox.json holds it (pretty-printed; each item a `Create` of a `Note` whose
content is HTML, about 900 bytes), for the fediverse reader.

With --element, OUT.jsonl is instead one Matrix room as Element's "Export chat" writes it
as JSON (pretty-printed; each message an `m.room.message` event, about 350 bytes).

With --discord, OUT.jsonl is instead one Discord channel as DiscordChatExporter writes it
(pretty-printed; each message with its author inline, about 700 bytes).

With --telegram-html, OUT.jsonl is instead a folder made into one channel's export as
Telegram Desktop writes it by default, in HTML: messages.html, messages2.html, ...,
a thousand messages each (about 1 KB a message with its markup).

With --twitter-archive, OUT.jsonl is instead a folder made into the data/ folder of one
account's Twitter archive: account.js, profile.js and tweets.js with the N tweets,
pretty-printed as Twitter writes them (about 1.3 KB a tweet).

With --facebook-posts, OUT.jsonl is instead a folder made into one owner's Facebook
export ("Download Your Information", JSON): the N posts in
your_facebook_activity/posts/your_posts__check_ins__photos_and_videos_1.json, pretty-printed
and with their UTF-8 mangled as Meta writes them (about 330 bytes a post), and the profile
that names their owner.

With --instagram-posts, OUT.jsonl is instead a folder made into one owner's Instagram
export: the N posts in your_instagram_activity/content/posts_1.json, each one photo whose
title is the caption (mangled UTF-8, pretty-printed: about 450 bytes a post), and the
profile that names their owner.

With --discord-package, OUT.jsonl is instead a folder made into one owner's Discord data
package: the N messages in Messages/c<CHANNEL>/messages.json, ten thousand a channel
(pretty-printed, about 200 bytes a message; every tenth with an attachment), and
Account/user.json naming the owner, padded with 100,000 relationships (about 21 MB) as a
real account file is with settings and history.

With --with-image (raqib's JSON Lines only), each post has a photo; with --with-alt, the
photo has a description (alt text): another drawn text, as long as a post, drawn apart so
that the posts' texts are the same as without it.

With --join K (any of the forms), each post's text is K drawn texts joined by spaces: long
posts, as a Telegram channel's essays are, for the windows that score them (docs/cli.md,
"Long posts").

With --meta, OUT.jsonl is instead a folder made into a Meta "Download Your Information"
export's Messenger threads: your_facebook_activity/messages/inbox/thread_K/message_1.json,
ten thousand messages a thread (newest first, pretty-printed, each text's UTF-8 written
byte by byte as six-character escapes, as Meta writes it: about 1.2 KB a message with Arabic).

With --reddit, OUT.jsonl holds Reddit comments as Pushshift's dumps do (a line each, with
the fields a 2023 dump has: about 1 KB a comment); one author in ten is `[deleted]`.

With --jetstream, OUT.jsonl holds Bluesky's firehose as Jetstream writes it (a JSON event a
line): each post an `app.bsky.feed.post` commit (about 450 bytes), and after each, four
events of the kinds that outnumber posts on the firehose (three likes, then a follow, a
repost or a deletion in turn), so that posts are a fifth of the lines, as on the live
firehose; every tenth post has an image.

With --whatsapp, OUT.jsonl is instead one WhatsApp chat as Android's "Export chat" writes
it (`31/12/2026, 21:41 - User 7: text`, a message's lines on the lines after it); name it
`WhatsApp Chat with NAME.txt` for a folder to find it.

usage: make_posts.py N OUT.jsonl [OUT.txt] [--accounts K]
                     [--telegram | --telegram-html | --twitter-archive | --facebook-posts
                      | --instagram-posts | --discord-package | --whatsapp | --tweets
                      | --outbox | --element | --discord | --meta | --reddit | --jetstream]
                     [--with-image | --with-alt]
"""
import csv
import os
import json
import random
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def texts():
    data = Path(ROOT, "..", "shared", "data")
    out = []
    for f in ["en_train.csv", "ar_train.csv", "en_dev.csv", "ar_dev.csv"]:
        p = data / f
        if p.exists():
            with open(p, newline="", encoding="utf-8") as fh:
                out += [r["text"] for r in csv.DictReader(fh) if r["text"]]
    if not out:
        with open(ROOT / "corpus" / "starter.jsonl", encoding="utf-8") as fh:
            out = [json.loads(l).get("text") for l in fh]
        out = [t for t in out if t]
    return out


def v1_status(i, acct, text):
    """A v1.1 status with the fields and nesting the API wrote (values synthetic)."""
    ts = time.strftime("%a %b %d %H:%M:%S +0000 %Y", time.gmtime(1_600_000_000 + i))
    uid = 1_000_000_000 + acct
    tid = 1_300_000_000_000_000_000 + i
    user = {
        "id": uid, "id_str": str(uid), "name": "User %d" % acct, "screen_name": "user%d" % acct,
        "location": None, "url": None, "description": "synthetic profile of account %d" % acct,
        "translator_type": "none", "protected": False, "verified": False,
        "followers_count": acct % 5000, "friends_count": 120, "listed_count": 1,
        "favourites_count": 300, "statuses_count": 4000, "created_at": "Mon Jan 05 10:00:00 +0000 2015",
        "utc_offset": None, "time_zone": None, "geo_enabled": False, "lang": None,
        "contributors_enabled": False, "is_translator": False,
        "profile_background_color": "C0DEED", "profile_background_image_url": "http://abs.twimg.com/images/themes/theme1/bg.png",
        "profile_background_image_url_https": "https://abs.twimg.com/images/themes/theme1/bg.png",
        "profile_background_tile": False, "profile_link_color": "1DA1F2", "profile_sidebar_border_color": "C0DEED",
        "profile_sidebar_fill_color": "DDEEF6", "profile_text_color": "333333", "profile_use_background_image": True,
        "profile_image_url": "http://pbs.twimg.com/profile_images/%d/a_normal.jpg" % uid,
        "profile_image_url_https": "https://pbs.twimg.com/profile_images/%d/a_normal.jpg" % uid,
        "default_profile": True, "default_profile_image": False,
        "following": None, "follow_request_sent": None, "notifications": None,
    }
    urls = []
    if i % 7 == 0:
        urls = [{"url": "https://t.co/x%d" % i, "expanded_url": "https://example.org/a/%d" % i,
                 "display_url": "example.org/a/%d" % i, "indices": [0, 23]}]
    return {
        "created_at": ts, "id": tid, "id_str": str(tid), "text": text,
        "source": "<a href=\"http://twitter.com/download/android\" rel=\"nofollow\">Twitter for Android</a>",
        "truncated": False, "in_reply_to_status_id": None, "in_reply_to_status_id_str": None,
        "in_reply_to_user_id": None, "in_reply_to_user_id_str": None, "in_reply_to_screen_name": None,
        "user": user, "geo": None, "coordinates": None, "place": None, "contributors": None,
        "is_quote_status": False, "quote_count": 0, "reply_count": 0, "retweet_count": 0,
        "favorite_count": 0,
        "entities": {"hashtags": [], "urls": urls, "user_mentions": [], "symbols": []},
        "favorited": False, "retweeted": False, "filter_level": "low", "lang": "und",
        "timestamp_ms": str((1_600_000_000 + i) * 1000),
    }


def create_note(i, acct, text):
    """A `Create` of a `Note`, as Mastodon writes one in an archive's outbox."""
    from html import escape
    actor = "https://social.example/users/user%d" % acct
    note = "%s/statuses/%d" % (actor, 100_000_000 + i)
    ts = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(1_600_000_000 + i))
    content = "<p>%s</p>" % escape(text).replace("\n", "<br />")
    return {
        "id": note + "/activity", "type": "Create", "actor": actor, "published": ts,
        "to": ["https://www.w3.org/ns/activitystreams#Public"], "cc": [actor + "/followers"],
        "object": {
            "id": note, "type": "Note", "summary": None, "inReplyTo": None, "published": ts,
            "url": "https://social.example/@user%d/%d" % (acct, 100_000_000 + i),
            "attributedTo": actor, "to": ["https://www.w3.org/ns/activitystreams#Public"],
            "cc": [actor + "/followers"], "sensitive": False, "atomUri": note,
            "inReplyToAtomUri": None, "conversation": "tag:social.example,2020:objectId=%d:objectType=Conversation" % i,
            "content": content, "contentMap": {"en": content}, "attachment": [], "tag": [],
            "replies": {"id": note + "/replies", "type": "Collection",
                        "first": {"type": "CollectionPage", "next": note + "/replies?only_other_accounts=true&page=true",
                                  "partOf": note + "/replies", "items": []}},
        },
    }


HTML_HEAD = """<!DOCTYPE html>
<html>

 <head>

  <meta charset="utf-8"/>
<title>Exported Data</title>
  <meta content="width=device-width, initial-scale=1.0" name="viewport"/>

  <link href="css/style.css" rel="stylesheet"/>

  <script src="js/script.js" type="text/javascript">

  </script>

 </head>

 <body onload="CheckLocation();">

  <div class="page_wrap">

   <div class="page_header">

    <div class="content">

     <div class="text bold">
Bench Channel
     </div>

    </div>

   </div>

   <div class="page_body chat_page">

    <div class="history">
"""
HTML_TAIL = """
    </div>

   </div>

  </div>

 </body>

</html>
"""


def html_message(i, acct, text, ts):
    """One message as Telegram Desktop's HTML writer lays it out."""
    esc = (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
           .replace('"', "&quot;").replace("'", "&apos;").replace("\n", "<br>"))
    if i % 7 == 0:
        esc += ' <a href="https://t.me/c%d">https://t.me/c%d</a>' % (i, i)
    title = time.strftime("%d.%m.%Y %H:%M:%S UTC+00:00", time.gmtime(ts))
    return """
     <div class="message default clearfix" id="message%d">

      <div class="pull_left userpic_wrap">

       <div class="userpic userpic%d" style="width: 42px; height: 42px">

        <div class="initials" style="line-height: 42px">
U
        </div>

       </div>

      </div>

      <div class="body">

       <div class="pull_right date details" title="%s">
%s
       </div>

       <div class="from_name">
User %d
       </div>

       <div class="text">
%s
       </div>

      </div>

     </div>
""" % (i + 1, acct % 8 + 1, title, title[11:16], acct, esc)


def archive_tweet(i, text):
    """A tweet as a Twitter archive's tweets.js holds it (values synthetic)."""
    tid = str(1_300_000_000_000_000_000 + i)
    urls = []
    if i % 7 == 0:
        urls = [{"url": "https://t.co/x%d" % i, "expanded_url": "https://example.org/a/%d" % i,
                 "display_url": "example.org/a/%d" % i, "indices": ["0", "23"]}]
    return {"tweet": {
        "edit_info": {"initial": {"editTweetIds": [tid], "editableUntil": "2020-09-13T13:26:40.000Z",
                                  "editsRemaining": "5", "isEditEligible": True}},
        "retweeted": False,
        "source": "<a href=\"https://mobile.twitter.com\" rel=\"nofollow\">Twitter Web App</a>",
        "entities": {"hashtags": [], "symbols": [], "user_mentions": [], "urls": urls},
        "display_text_range": ["0", str(len(text))], "favorite_count": "0", "id_str": tid,
        "truncated": False, "retweet_count": "0", "id": tid,
        "created_at": time.strftime("%a %b %d %H:%M:%S +0000 %Y", time.gmtime(1_600_000_000 + i)),
        "favorited": False, "full_text": text, "lang": "und"}}


def archive_js(kind, elements):
    """A file of a Twitter archive: one assignment of a pretty-printed JSON array."""
    body = json.dumps(elements, ensure_ascii=False, indent=2).replace('": ', '" : ')
    return "window.YTD.%s.part0 = %s" % (kind, body)


def flag(args, name):
    """Whether `name` is among `args`, taking it out."""
    if name in args:
        args.remove(name)
        return True
    return False


def base36(n):
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    s = ""
    while True:
        n, d = divmod(n, 36)
        s = digits[d] + s
        if n == 0:
            return s


def reddit_comment(i, acct, text):
    """A comment as a 2023 Pushshift dump line has it (its fields in its order)."""
    deleted = acct % 10 == 9
    cid = base36(1_000_000_000 + i)
    link = "t3_" + base36(50_000_000 + i // 50)
    return {"all_awardings": [], "archived": False, "associated_award": None,
            "author": "[deleted]" if deleted else "user%d" % acct,
            "author_flair_background_color": None, "author_flair_css_class": None,
            "author_flair_richtext": [], "author_flair_template_id": None, "author_flair_text": None,
            "author_flair_text_color": None, "author_flair_type": "text",
            "author_fullname": None if deleted else "t2_" + base36(10_000_000 + acct),
            "author_patreon_flair": False, "author_premium": False, "body": text,
            "can_gild": True, "collapsed": False, "collapsed_because_crowd_control": None,
            "collapsed_reason": None, "collapsed_reason_code": None, "controversiality": 0,
            "created_utc": 1_672_531_200 + i, "distinguished": None, "edited": False, "gilded": 0,
            "gildings": {}, "id": cid, "is_submitter": False, "link_id": link, "locked": False,
            "name": "t1_" + cid, "no_follow": True,
            "parent_id": link if i % 3 == 0 else "t1_" + base36(1_000_000_000 + max(0, i - 1)),
            "permalink": "/r/bench/comments/%s/x/%s/" % (link[3:], cid), "retrieved_on": 1_673_000_000,
            "score": 1 + i % 20, "score_hidden": False, "send_replies": True, "stickied": False,
            "subreddit": "bench", "subreddit_id": "t5_2qh1i", "subreddit_name_prefixed": "r/bench",
            "subreddit_type": "public", "top_awarded_type": None, "total_awards_received": 0,
            "treatment_tags": [], "unrepliable_reason": None}


def jetstream_events(i, acct, text):
    """A post commit as Jetstream writes it, then four events that are not posts."""
    did = "did:plc:bench%019d" % acct
    us = (1_764_547_200 + i) * 1_000_000
    rkey = "3m" + base36(10**15 + i)
    record = {"$type": "app.bsky.feed.post",
              "createdAt": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(us // 1_000_000)),
              "langs": ["en"], "text": text}
    if i % 10 == 0:
        record["embed"] = {"$type": "app.bsky.embed.images", "images": [
            {"alt": "", "aspectRatio": {"height": 1000, "width": 1000},
             "image": {"$type": "blob", "ref": {"$link": "bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeq"},
                       "mimeType": "image/jpeg", "size": 123456}}]}
    events = [{"did": did, "time_us": us, "kind": "commit",
               "commit": {"rev": "3m" + base36(i), "operation": "create", "collection": "app.bsky.feed.post",
                          "rkey": rkey, "record": record,
                          "cid": "bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm"}}]
    subject = {"cid": "bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm",
               "uri": "at://%s/app.bsky.feed.post/%s" % (did, rkey)}
    for k in range(4):
        other = "did:plc:bench%019d" % ((acct * 7 + k + 1) % 1_000_003)
        kind = ["app.bsky.feed.like"] * 3 + [["app.bsky.graph.follow", "app.bsky.feed.repost", None][i % 3]]
        c = kind[k]
        if c is None:
            events.append({"did": other, "time_us": us + k + 1, "kind": "commit",
                           "commit": {"rev": "3n" + base36(i), "operation": "delete",
                                      "collection": "app.bsky.feed.post", "rkey": "3k" + base36(i)}})
            continue
        rec = {"$type": c, "createdAt": record["createdAt"],
               "subject": did if c == "app.bsky.graph.follow" else subject}
        events.append({"did": other, "time_us": us + k + 1, "kind": "commit",
                       "commit": {"rev": "3n" + base36(i * 4 + k), "operation": "create", "collection": c,
                                  "rkey": "3l" + base36(i * 4 + k), "record": rec,
                                  "cid": "bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm"}})
    return events


MENTION = re.compile(r"@\w+")
NUMBER = re.compile(r"\d+")


def draw(pool, r):
    """A text of the pool, its mentions and numbers drawn anew by `r`."""
    t = pool[r.randrange(len(pool))]
    t = MENTION.sub(lambda m: "@u%d" % r.randrange(10_000_000), t)
    return NUMBER.sub(lambda m: str(r.randrange(100_000)), t)


def mangled(text):
    """Text as Meta's exports write it: each UTF-8 byte a character."""
    return text.encode("utf-8").decode("latin-1")


def write_meta_array(path, items):
    """A JSON array pretty-printed as Meta's exports write one, an element at a time."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write("[")
        for i, item in enumerate(items):
            text = json.dumps(item, indent=2)
            f.write(("\n" if i == 0 else ",\n") + "\n".join("  " + l for l in text.split("\n")))
        f.write("\n]\n")


def main():
    args = sys.argv[1:]
    if not args or args[0] in ("-h", "--help"):
        print("usage: make_posts.py N OUT.jsonl [OUT.txt] [--accounts K] [--join K] [--FORM]\n")
        print(__doc__)
        sys.exit(0 if args else 2)
    accounts = 50_000
    if "--accounts" in args:
        i = args.index("--accounts")
        accounts = int(args[i + 1])
        del args[i : i + 2]
    join = 1
    if "--join" in args:
        i = args.index("--join")
        join = int(args[i + 1])
        del args[i : i + 2]
    telegram_html = flag(args, "--telegram-html")
    archive = flag(args, "--twitter-archive")
    whatsapp = flag(args, "--whatsapp")
    meta = flag(args, "--meta")
    facebook_posts = flag(args, "--facebook-posts")
    instagram_posts = flag(args, "--instagram-posts")
    discord_package = flag(args, "--discord-package")
    with_alt = flag(args, "--with-alt")
    with_image = flag(args, "--with-image") or with_alt
    reddit = flag(args, "--reddit")
    jetstream = flag(args, "--jetstream")
    telegram, tweets, outbox, element, discord = (
        flag(args, f) for f in ["--telegram", "--tweets", "--outbox", "--element", "--discord"]
    )
    n, jsonl = int(args[0]), args[1]
    txt = args[2] if len(args) > 2 else None
    pool = texts()
    if join > 1:
        # Each text K drawn texts (their own draw, so that a --join run is reproducible).
        j = random.Random(7)
        pool = [" ".join(pool[j.randrange(len(pool))] for _ in range(join)) for _ in range(len(pool))]
    r = random.Random(42)
    image = random.Random(5) if with_image else None
    tf = open(txt, "w", encoding="utf-8") if txt else None
    if archive:
        os.makedirs(jsonl, exist_ok=True)
        with open(os.path.join(jsonl, "account.js"), "w", encoding="utf-8") as f:
            f.write(archive_js("account", [{"account": {
                "email": "owner@example.org", "createdVia": "web", "username": "bench_owner",
                "accountId": "1000000001", "createdAt": "2015-01-05T10:00:00.000Z",
                "accountDisplayName": "Bench Owner"}}]))
        with open(os.path.join(jsonl, "profile.js"), "w", encoding="utf-8") as f:
            f.write(archive_js("profile", [{"profile": {
                "description": {"bio": "synthetic profile", "website": "", "location": ""},
                "avatarMediaUrl": "https://pbs.example/profile_images/1/a.jpg"}}]))
        with open(os.path.join(jsonl, "tweets.js"), "w", encoding="utf-8") as f:
            f.write("window.YTD.tweets.part0 = [")
            for i in range(n):
                t = draw(pool, r)
                r.random()  # the account other formats draw: the same texts as theirs
                item = json.dumps(archive_tweet(i, t), ensure_ascii=False, indent=2)
                item = "\n".join("  " + l for l in item.split("\n")).replace('": ', '" : ')
                f.write(("\n" if i == 0 else ",\n") + item)
                if tf:
                    tf.write(t.replace("\n", " ").replace("\r", " ") + "\n")
            f.write("\n]")
        if tf:
            tf.close()
        return
    if facebook_posts or instagram_posts:
        # One owner's posts as Meta's export holds them: one array, pretty-printed, every
        # text's UTF-8 bytes written as characters. Facebook's: every fifth post shares a
        # link. Instagram's: each post a photo, its caption the photo's title, as Instagram
        # writes a post of one photo.
        if facebook_posts:
            profile = ("personal_information/profile_information/profile_information.json",
                       {"profile_v2": {"name": {"full_name": "Bench Owner"}}})
            path = "your_facebook_activity/posts/your_posts__check_ins__photos_and_videos_1.json"
        else:
            profile = ("personal_information/personal_information/personal_information.json",
                       {"profile_user": [{"string_map_data": {
                           "Username": {"href": "", "value": "bench_owner", "timestamp": 0},
                           "Name": {"href": "", "value": "Bench Owner", "timestamp": 0},
                           "Bio": {"href": "", "value": "synthetic profile", "timestamp": 0}}}]})
            path = "your_instagram_activity/content/posts_1.json"
        os.makedirs(os.path.dirname(os.path.join(jsonl, profile[0])), exist_ok=True)
        with open(os.path.join(jsonl, profile[0]), "w", encoding="utf-8") as f:
            json.dump(profile[1], f, indent=2)

        def items():
            for i in range(n):
                t = draw(pool, r)
                r.random()  # the account other formats draw: the same texts as theirs
                if tf:
                    tf.write(t.replace("\n", " ").replace("\r", " ") + "\n")
                ts = 1_600_000_000 + n - i
                if instagram_posts:
                    yield {"media": [{
                        "uri": "media/posts/202009/%d.jpg" % (17_900_000_000_000_000 + i),
                        "creation_timestamp": ts,
                        "media_metadata": {"camera_metadata": {"has_camera_metadata": False}},
                        "title": mangled(t),
                        "cross_post_source": {"source_app": "FB"}}]}
                    continue
                item = {"timestamp": ts}
                if i % 5 == 0:
                    item["attachments"] = [{"data": [{"external_context": {
                        "url": "https://news.example/%d" % i}}]}]
                item["data"] = [{"post": mangled(t)}, {"update_timestamp": ts}]
                item["title"] = "Bench Owner updated his status."
                yield item

        write_meta_array(os.path.join(jsonl, path), items())
        if tf:
            tf.close()
        return
    if discord_package:
        # One owner's data package: the owner's account file (large, as a real one is),
        # then its channels' messages, ten thousand a channel.
        account = os.path.join(jsonl, "Account")
        os.makedirs(account, exist_ok=True)
        with open(os.path.join(account, "user.json"), "w", encoding="utf-8") as f:
            json.dump({"id": "100000000000000001", "username": "bench_owner", "discriminator": "0",
                       "global_name": "Bench Owner", "email": "owner@example.org",
                       "relationships": [{"id": str(200_000_000_000_000_000 + k), "type": 1,
                                          "nickname": None,
                                          "user": {"id": str(200_000_000_000_000_000 + k),
                                                   "username": "friend%d" % k, "discriminator": "0"}}
                                         for k in range(100_000)]}, f, indent=2)
        for start in range(0, n, 10_000):
            channel = 300_000_000_000_000_000 + start // 10_000
            folder = os.path.join(jsonl, "Messages", "c%d" % channel)
            os.makedirs(folder, exist_ok=True)
            with open(os.path.join(folder, "channel.json"), "w", encoding="utf-8") as f:
                json.dump({"id": str(channel), "type": "GUILD_TEXT", "name": "general",
                           "guild": {"id": "400000000000000001", "name": "Bench"}}, f, indent=2)

            def items(start=start, channel=channel):
                for i in range(start, min(n, start + 10_000)):
                    t = draw(pool, r)
                    r.random()  # the account other formats draw: the same texts as theirs
                    if tf:
                        tf.write(t.replace("\n", " ").replace("\r", " ") + "\n")
                    attached = ("https://cdn.discordapp.com/attachments/%d/%d/image.png?ex=0&is=0&hm=0"
                                % (channel, 500_000_000_000_000_000 + i)) if i % 10 == 0 else ""
                    yield {"ID": 1_300_000_000_000_000_000 + i,
                           "Timestamp": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(1_600_000_000 + i)),
                           "Contents": t, "Attachments": attached}

            write_meta_array(os.path.join(folder, "messages.json"), items())
        if tf:
            tf.close()
        return
    if meta:
        # Meta writes each UTF-8 byte as a character of its own, escaped.

        for start in range(0, n, 10_000):
            folder = os.path.join(jsonl, "your_facebook_activity/messages/inbox/thread_%d" % (start // 10_000))
            os.makedirs(folder, exist_ok=True)
            with open(os.path.join(folder, "message_1.json"), "w", encoding="utf-8") as f:
                f.write('{\n  "participants": [\n    {\n      "name": "Bench Owner"\n    }\n  ],\n  "messages": [')
                for i in range(start, min(n, start + 10_000)):
                    t = draw(pool, r)
                    acct = int(accounts * (r.random() ** 3))
                    f.write(('\n' if i == start else ',\n') +
                            '    {\n      "sender_name": %s,\n      "timestamp_ms": %d,\n'
                            '      "content": %s,\n      "is_geoblocked_for_viewer": false\n    }'
                            % (json.dumps(mangled("User %d" % acct)), (1_600_000_000 + n - i) * 1000,
                               json.dumps(mangled(t))))
                    if tf:
                        tf.write(t.replace("\n", " ").replace("\r", " ") + "\n")
                f.write('\n  ],\n  "title": "Bench",\n  "is_still_participant": true,\n'
                        '  "thread_path": "inbox/thread_%d",\n  "magic_words": []\n}\n' % (start // 10_000))
        if tf:
            tf.close()
        return
    if telegram_html:
        os.makedirs(jsonl, exist_ok=True)
        page = None
        for i in range(n):
            t = draw(pool, r)
            acct = int(accounts * (r.random() ** 3))
            if i % 1000 == 0:
                if page:
                    page.write(HTML_TAIL)
                    page.close()
                k = i // 1000 + 1
                name = "messages.html" if k == 1 else "messages%d.html" % k
                page = open(os.path.join(jsonl, name), "w", encoding="utf-8")
                page.write(HTML_HEAD)
            page.write(html_message(i, acct, t, 1_600_000_000 + i))
            if tf:
                tf.write(t.replace("\n", " ").replace("\r", " ") + "\n")
        if page:
            page.write(HTML_TAIL)
            page.close()
        if tf:
            tf.close()
        return
    with open(jsonl, "w", encoding="utf-8") as jf:
        if discord:
            jf.write('{\n  "guild": {"id": "1", "name": "Bench", "iconUrl": null},\n'
                     '  "channel": {"id": "2", "type": "GuildTextChat", "name": "general", "topic": null},\n'
                     '  "exportedAt": "2026-11-30T10:00:00+00:00",\n  "messages": [\n')
        if element:
            jf.write('{\n  "room_name": "Bench room",\n  "room_creator": "@admin:chat.example",\n'
                     '  "topic": "",\n  "export_date": "30/11/2026",\n  "exported_by": "@admin:chat.example",\n'
                     '  "messages": [\n')
        if outbox:
            jf.write('{\n  "@context": "https://www.w3.org/ns/activitystreams",\n  "id": "outbox.json",\n'
                     '  "type": "OrderedCollection",\n  "totalItems": %d,\n  "orderedItems": [\n' % n)
        if telegram:
            jf.write('{\n "name": "Bench Channel",\n "type": "public_channel",\n "id": 777,\n "messages": [\n')
        for i in range(n):
            t = draw(pool, r)
            acct = int(accounts * (r.random() ** 3))  # a few accounts post much
            if telegram:
                # As Telegram Desktop writes them: the date twice, the text, and the text
                # again as entities.
                if i % 7 == 0:
                    link = {"type": "link", "text": "https://t.me/c%d" % i}
                    text, entities = [t + " ", link], [{"type": "plain", "text": t + " "}, link]
                else:
                    text, entities = t, [{"type": "plain", "text": t}]
                ts = 1_600_000_000 + i
                m = {"id": i + 1, "type": "message",
                     "date": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ts)),
                     "date_unixtime": str(ts), "from": "User %d" % acct, "from_id": "user%d" % acct,
                     "text": text, "text_entities": entities}
                jf.write(("  " if i == 0 else ",\n  ") + json.dumps(m, ensure_ascii=False))
            elif discord:
                m = {"id": str(900_000_000_000_000_000 + i), "type": "Default",
                     "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S.000+00:00", time.gmtime(1_600_000_000 + i)),
                     "timestampEdited": None, "callEndedTimestamp": None, "isPinned": False, "content": t,
                     "author": {"id": str(700_000_000 + acct), "name": "user%d" % acct, "discriminator": "0000",
                                "nickname": "User %d" % acct, "color": None, "isBot": False, "roles": [],
                                "avatarUrl": "https://cdn.example/avatars/%d.png" % acct},
                     "attachments": [], "embeds": [], "stickers": [], "reactions": [], "mentions": []}
                item = json.dumps(m, ensure_ascii=False, indent=2)
                item = "\n".join("    " + l for l in item.split("\n"))
                jf.write(("" if i == 0 else ",\n") + item)
            elif element:
                ev = {"type": "m.room.message", "room_id": "!bench:chat.example",
                      "sender": "@user%d:chat.example" % acct,
                      "content": {"msgtype": "m.text", "body": t},
                      "origin_server_ts": (1_600_000_000 + i) * 1000, "unsigned": {"age": 1000},
                      "event_id": "$event%d" % i, "user_id": "@user%d:chat.example" % acct, "age": 1000}
                item = json.dumps(ev, ensure_ascii=False, indent=2)
                item = "\n".join("    " + l for l in item.split("\n"))
                jf.write(("" if i == 0 else ",\n") + item)
            elif outbox:
                item = json.dumps(create_note(i, acct, t), ensure_ascii=False, indent=2)
                item = "\n".join("    " + l for l in item.split("\n"))
                jf.write(("" if i == 0 else ",\n") + item)
            elif whatsapp:
                when = time.strftime("%d/%m/%Y, %H:%M", time.gmtime(1_600_000_000 + i))
                jf.write("%s - User %d: %s\n" % (when, acct, t.replace("\r", "")))
            elif tweets:
                jf.write(json.dumps(v1_status(i, acct, t), ensure_ascii=False, separators=(",", ":")) + "\n")
            elif reddit:
                jf.write(json.dumps(reddit_comment(i, acct, t), ensure_ascii=False, separators=(",", ":")) + "\n")
            elif jetstream:
                for e in jetstream_events(i, acct, t):
                    jf.write(json.dumps(e, ensure_ascii=False, separators=(",", ":")) + "\n")
            else:
                rec = {"id": str(i), "platform": "twitter", "account": "a%d" % acct,
                       "created_at": 1_600_000_000 + i, "text": t}
                if image is not None:
                    # A photo; with --with-alt, its description another drawn text (drawn
                    # apart, so that the posts' texts are those of a run without it).
                    rec["media"] = [{"kind": "image", "url": "https://img.example/%d.jpg" % i}]
                    if with_alt:
                        rec["media"][0]["alt"] = draw(pool, image)
                jf.write(json.dumps(rec, ensure_ascii=False) + "\n")
            if tf:
                tf.write(t.replace("\n", " ").replace("\r", " ") + "\n")
        if telegram:
            jf.write("\n ]\n}\n")
        if outbox or element or discord:
            jf.write("\n  ]\n}\n")
    if tf:
        tf.close()


if __name__ == "__main__":
    main()
