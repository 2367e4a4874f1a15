#!/usr/bin/env python3
"""Write docs/openapi.json, the OpenAPI 3.1 description that `raqib serve` serves at
/openapi.json. Edit the route table here and rerun; a test checks that every route the
server has is described."""
import json, pathlib

def ref(n): return {"$ref": f"#/components/schemas/{n}"}
def body(schema, desc=None, ctype="application/json"):
    b = {"required": True, "content": {ctype: {"schema": schema}}}
    if desc: b["description"] = desc
    return b
def ok(desc, schema=None, ctype="application/json"):
    r = {"description": desc}
    if schema is not None: r["content"] = {ctype: {"schema": schema}}
    return r
ERR = {"400": ok("Malformed JSON, a wrong type, an unknown field (the message names it)", ref("Error")),
       "401": ok("No token, or an unknown or revoked one", ref("Error")),
       "403": ok("The token's role may not do this", ref("Error")),
       "429": ok("Rate limit for this token reached (Retry-After says when to retry)", ref("Error"))}
def op(summary, roles, responses, req=None, params=None, desc=None):
    o = {"summary": summary, "responses": dict(responses)}
    if roles is None:
        o["security"] = []
    else:
        o["description"] = (desc + "\n\n" if desc else "") + "Roles: " + ", ".join(roles + ["admin"]) + "."
        o["responses"].update({k: v for k, v in ERR.items() if k not in o["responses"]})
    if req: o["requestBody"] = req
    if params: o["parameters"] = params
    return o
def q(name, desc, typ="string", required=False):
    return {"name": name, "in": "query", "required": required, "description": desc, "schema": {"type": typ}}
def p(name, desc):
    return {"name": name, "in": "path", "required": True, "description": desc, "schema": {"type": "string"}}
KEY = p("key", "`post:PLATFORM:ID`, `account:PLATFORM:ID` or `media:SHA256` (URL-encoded)")
ING, REV = ["ingest"], ["reviewer"]

paths = {
 "/": {"get": op("The reviewer web page", None, {"200": ok("HTML", {"type": "string"}, "text/html")})},
 "/openapi.json": {"get": op("This document", None, {"200": ok("OpenAPI 3.1", {"type": "object"})})},
 "/health": {"get": op("Health: store reachable, counts, policy in force and its last reload error; with --nats, the stream read and its connection", None,
     {"200": ok("Healthy", {"type": "object"}), "503": ok("The store is unreachable", {"type": "object"})})},
 "/metrics": {"get": op("Prometheus metrics", None, {"200": ok("Text exposition format", {"type": "string"}, "text/plain")})},
 "/api/v1/session": {
   "post": op("Sign in to the page with a reviewer's or admin's token (sets an HttpOnly cookie)", None,
       {"200": ok("Signed in", {"type": "object"}), "401": ok("Unknown token or not a reviewer's", ref("Error"))},
       req=body({"type": "object", "required": ["token"], "properties": {"token": {"type": "string"}}, "additionalProperties": False})),
   "delete": op("Sign out (clears the cookie)", None, {"200": ok("Signed out", {"type": "object"})})},
 "/api/v1/whoami": {"get": op("The caller's token name and role", ING + REV, {"200": ok("Caller", {"type": "object"})})},
 "/api/v1/posts": {"post": op("Submit one post; get the verdict once it is stored", ING,
     {"201": ok("Stored; verdict with every signal and its evidence, and the policy's decision", ref("Item")),
      "200": ok("Already stored under this client_id (or platform and id): the stored item, `duplicate: true`", ref("Item")),
      "413": ok("Body over --max-body", ref("Error"))},
     req=body(ref("PostIn")))},
 "/api/v1/posts/batch": {"post": op("Submit many posts in one transaction", ING,
     {"200": ok("Stored; one short result per post, in order", ref("BatchResult")),
      "413": ok("Body over --max-body, or more records than --max-batch", ref("Error"))},
     req=body({"type": "object", "required": ["posts"], "additionalProperties": False,
               "properties": {"posts": {"type": "array", "items": ref("PostIn")}}}),
     desc="Every record is checked first; one bad record rejects the batch (400, each bad record named by index) and nothing is stored.")},
 "/api/v1/accounts": {"post": op("Submit one account (at sign-up, or again when its profile changes): profile text and link to suspended accounts", ING,
     {"201": ok("Stored", ref("Item")),
      "200": ok("Already stored: the stored item, `duplicate: true`; or, where this record changes the stored profile (handle, display name, bio, avatar, status), the item scored and decided again with the profile it replaced in `body.previous`, `updated: true`", ref("Item"))},
     req=body(ref("AccountIn")))},
 "/api/v1/accounts/batch": {"post": op("Submit many accounts in one transaction", ING,
     {"200": ok("Stored", ref("BatchResult"))},
     req=body({"type": "object", "required": ["accounts"], "additionalProperties": False,
               "properties": {"accounts": {"type": "array", "items": ref("AccountIn")}}}))},
 "/api/v1/media": {"post": op("Upload an image (JPEG, PNG, GIF, WebP, BMP): PDQ, MD5, SHA-256 and hash-list matches", ING,
     {"201": ok("Stored", ref("Item")), "200": ok("Already stored", ref("Item")),
      "422": ok("Not a readable image (or over the pixel limit)", ref("Error"))},
     req=body({"type": "string", "format": "binary"}, ctype="application/octet-stream"),
     params=[q("platform", "Where it was uploaded"), q("client_id", "Idempotency key"),
             q("name", "The file's name: kept as a label only (its last path part), never used as a path")])},
 "/api/v1/media/hash": {"post": op("Submit media by hash (video: by SHA-256 or URL)", ING,
     {"201": ok("Stored", ref("Item")), "200": ok("Already stored", ref("Item"))},
     req=body({"type": "object", "additionalProperties": False, "properties": {
         "platform": {"type": "string"}, "sha256": {"type": "string"}, "pdq": {"type": "string"},
         "url": {"type": "string"}, "client_id": {"type": "string"}}}))},
 "/api/v1/items": {"get": op("Find an item by the submitter's client_id", ING + REV,
     {"200": ok("The item", ref("Item")), "404": ok("None", ref("Error"))}, params=[q("client_id", "", required=True)])},
 "/api/v1/items/{key}": {"get": op("An item: submission, verdict, decision, reviews, appeals", ING + REV,
     {"200": ok("The item", ref("Item")), "404": ok("No such item", ref("Error"))}, params=[KEY])},
 "/api/v1/items/{key}/review": {"post": op("Record a reviewer's decision (the item must be open)", REV,
     {"200": ok("Decided; closed", ref("Item")), "404": ok("No such item", ref("Error")),
      "409": ok("Already decided: undo it or file an appeal first", ref("Error"))},
     req=body({"type": "object", "required": ["decision"], "additionalProperties": False, "properties": {
         "decision": {"enum": ["remove", "suspend", "refer", "no_action"]}, "note": {"type": "string"}}}),
     params=[KEY], desc="Writes an audit entry and a `review` webhook; the decision labels the item for training (no_action = not propaganda).")},
 "/api/v1/items/{key}/undo": {"post": op("Withdraw the last reviewer decision; the item is open again", REV,
     {"200": ok("Reopened", ref("Item")), "409": ok("No decision to undo", ref("Error"))}, params=[KEY])},
 "/api/v1/items/{key}/appeal": {"post": op("Appeal a decision: reopens the item at priority ≥ 90", ING + REV,
     {"200": ok("Reopened", ref("Item")), "409": ok("Already open", ref("Error"))},
     req={"required": False, "content": {"application/json": {"schema": {"type": "object", "properties": {"reason": {"type": "string"}}}}}},
     params=[KEY])},
 "/api/v1/queue": {"get": op("Open items, highest priority first", REV, {"200": ok("Items", {"type": "object", "properties": {"items": {"type": "array", "items": ref("Item")}}})},
     params=[q("platform", ""), q("place", "where the post was made (a channel, a group), as submitted; the whole name, case aside"), q("signal", "text, media, link, network, profile"), q("lang", ""), q("list", "hash list name"), q("limit", "1–500, default 50", "integer")])},
 "/api/v1/deadletters": {"get": op("Webhook deliveries given up on", REV, {"200": ok("Dead letters", {"type": "object"})}, params=[q("limit", "", "integer")])},
 "/api/v1/deadletters/{id}/retry": {"post": op("Put a dead letter back in the delivery queue", [],
     {"200": ok("Queued", {"type": "object"}), "404": ok("No such dead letter", ref("Error"))}, params=[p("id", "Delivery id")])},
 "/api/v1/lists": {"get": op("Hash lists and their counts", REV, {"200": ok("Lists", {"type": "object"})})},
 "/api/v1/lists/{name}": {"post": op("Create a hash list", [], {"201": ok("Created", {"type": "object"}), "409": ok("Exists", ref("Error"))},
     req={"required": False, "content": {"application/json": {"schema": {"type": "object", "properties": {"description": {"type": "string"}, "radius": {"type": "integer"}}}}}},
     params=[p("name", "List name")])},
 "/api/v1/lists/{name}/entries": {"post": op("Add or remove list entries (they match at once)", [],
     {"200": ok("Applied", {"type": "object"}), "404": ok("No such list", ref("Error"))},
     req=body({"type": "object", "required": ["entries"], "properties": {"entries": {"type": "array", "items": {"type": "object",
         "required": ["op", "type", "value"], "properties": {"op": {"enum": ["add", "remove"]}, "type": {"enum": ["pdq", "md5", "sha256", "url", "domain"]},
         "value": {"type": "string"}, "label": {"type": "string"}, "source": {"type": "string"}, "date": {"type": "string"}}}}}}),
     params=[p("name", "List name")])},
 "/api/v1/suspended": {"post": op("Add suspended accounts to the index new accounts are linked against", [],
     {"200": ok("Added", {"type": "object"})},
     req=body({"type": "object", "required": ["accounts"], "properties": {"accounts": {"type": "array", "items": ref("AccountIn")}}}))},
 "/api/v1/suspended/{platform}/{id}": {"delete": op("Remove an account from the suspended index", [],
     {"200": ok("Removed", {"type": "object"}), "404": ok("Not in the index", ref("Error"))}, params=[p("platform", ""), p("id", "")])},
 "/api/v1/tokens": {
   "get": op("Token names and roles", [], {"200": ok("Tokens", {"type": "object"})}),
   "post": op("Create a token (its secret is returned once)", [], {"201": ok("Created", {"type": "object"})},
       req=body({"type": "object", "required": ["name", "role"], "additionalProperties": False, "properties": {
           "name": {"type": "string"}, "role": {"enum": ["ingest", "reviewer", "admin"]}}}))},
 "/api/v1/tokens/{name}": {"delete": op("Revoke a token (effective within 5 s)", [], {"200": ok("Revoked", {"type": "object"}), "404": ok("None", ref("Error"))}, params=[p("name", "")])},
 "/api/v1/audit": {"get": op("Audit entries after a sequence number (JSON Lines; the hash chain of docs/format.md)", [],
     {"200": ok("Entries", {"type": "string"}, "application/x-ndjson")}, params=[q("after", "", "integer"), q("limit", "1–10000", "integer")])},
 "/api/v1/training-data": {"get": op("Reviewed posts as raqib JSON Lines with `label` from the decision, for `raqib train --data`", [],
     {"200": ok("Posts", {"type": "string"}, "application/x-ndjson")})},
 "/api/v1/policy": {"get": op("The policy in force and the last reload error", REV, {"200": ok("Policy", {"type": "object"})})},
 "/api/v1/policy/reload": {"post": op("Reload the policy file now (it is also checked every 2 s)", [],
     {"200": ok("Reloaded or unchanged", {"type": "object"}), "422": ok("Refused, with file:line:column; the policy in force stays", ref("Error"))})},
}
schemas = {
 "Error": {"type": "object", "required": ["error"], "properties": {"error": {"type": "string", "description": "What went wrong and what to do"}}},
 "PostIn": {"type": "object", "required": ["id"], "additionalProperties": False, "description": "raqib's post (docs/format.md) and an optional client_id", "properties": {
   "id": {"type": "string"}, "platform": {"type": "string"}, "account": {"type": "string"}, "created_at": {"type": "integer", "description": "Unix seconds"},
   "text": {"type": "string"}, "lang": {"type": "string"}, "urls": {"type": "array", "items": {"type": "string"}},
   "media": {"type": "array", "items": {"type": "object", "properties": {
       "kind": {"type": "string", "description": "image, video, file..., or link: a link card, the preview a post shows of a page it links to (url the page, alt its title and description)"},
       "url": {"type": "string"}, "sha256": {"type": "string"}, "pdq": {"type": "string"},
       "alt": {"type": "string", "description": "A medium's description (alt text), or a link card's words: scored on their own, as the text is; evidence in them names the medium (media: its index)"}}}},
   "reply_to": {"type": "string"}, "share_of": {"type": "string"}, "first_version": {"type": "string", "description": "The id of the post's first version, on every version of an edited post (Twitter gives each version its own id), or the post's own id where it may still be edited: its versions count once for the account"},
   "permalink": {"type": "string", "description": "The post's own page on its platform (a web address), shown as a link on the review page"},
   "place": {"type": "string", "description": "Where it was posted, as the platform names the place: a chat or channel, Server / #channel, r/subreddit, a group; shown with the item on the review page, and the queue may be filtered by it"},
   "reach": {"type": "integer"}, "label": {"type": "boolean"},
   "client_id": {"type": "string", "description": "Idempotency key: a repeat returns the stored item"}}},
 "AccountIn": {"type": "object", "required": ["id"], "additionalProperties": False, "properties": {
   "id": {"type": "string"}, "platform": {"type": "string"}, "handle": {"type": "string"}, "display_name": {"type": "string"},
   "bio": {"type": "string"}, "created_at": {"type": "integer"}, "avatar": {"type": "object"}, "followers": {"type": "integer"},
   "status": {"enum": ["active", "suspended", "deleted", "unknown"]}, "follows": {"type": "array", "items": {"type": "string"}}, "client_id": {"type": "string"}}},
 "Item": {"type": "object", "properties": {
   "key": {"type": "string"}, "kind": {"enum": ["post", "account", "media"]}, "platform": {"type": "string"}, "id": {"type": "string"},
   "place": {"type": "string", "description": "where the post was made, as submitted"},
   "client_id": {"type": "string"}, "seq": {"type": "integer"}, "received_at": {"type": "integer", "description": "Unix ms"},
   "priority": {"type": "integer"}, "state": {"enum": ["open", "closed"]}, "lang": {"type": "string"},
   "signals": {"type": "array", "items": {"type": "string"}}, "lists": {"type": "array", "items": {"type": "string"}},
   "body": {"type": "object", "properties": {"submitted": {"type": "object"}, "verdict": {"type": "object", "properties": {
       "flagged": {"type": "boolean"}, "model": {"type": "string"}, "signals": {"type": "array", "items": ref("Signal")}}},
       "decision": {"type": "object", "properties": {"action": {"enum": ["ignore", "queue", "refer", "suspend", "remove"]}, "priority": {"type": "integer"},
           "rule": {"type": ["string", "null"]}, "matched": {"type": "array", "items": {"type": "string"}}, "dry_run": {"type": "boolean"}}},
       "previous": {"type": "array", "description": "An account's profiles before the last changes (up to 20, oldest first)", "items": {"type": "object", "properties": {
           "submitted": {"type": "object"}, "flagged": {"type": "boolean"}, "action": {"type": "string"}, "replaced_at": {"type": "integer", "description": "Unix milliseconds"}}}}}},
   "reviews": {"type": "array", "items": {"type": "object"}}, "appeals": {"type": "array", "items": {"type": "object"}},
   "duplicate": {"type": "boolean"},
   "updated": {"type": "boolean", "description": "On submission: the account was stored before and this record changed its profile, so it was scored and decided again"}}},
 "Signal": {"type": "object", "properties": {"kind": {"enum": ["text", "profile", "media", "link", "network"]}, "detector": {"type": "string", "description": "text.linear, text.linear.earlier (an earlier version of an account's profile), media.lists, link.suspended, network.live"},
   "score": {"type": "number"}, "flagged": {"type": "boolean"}, "list": {"type": "string"},
   "earlier": {"type": "string", "description": "detector text.linear.earlier: the text of the earlier profile version it scored (display name, handle, bio, a line each), which its spans are offsets in"},
   "evidence": {"type": "object", "description": "text/profile: {spans: [{start, end (UTF-8 byte offsets into the original), text, feature, weight}]}; media: the list entry matched; link: the suspended account and reasons; network: {accounts (an account of the post's platform by its id, another platform's as PLATFORM:ID), shared: [{kind, value, others: [{platform, account, post, seconds_apart}], mass}]}"}}},
 "BatchResult": {"type": "object", "properties": {"items": {"type": "array", "items": {"type": "object", "properties": {
   "key": {"type": "string"}, "seq": {"type": "integer"}, "duplicate": {"type": "boolean"}, "updated": {"type": "boolean"}, "flagged": {"type": "boolean"},
   "action": {"type": "string"}, "priority": {"type": "integer"}, "state": {"type": "string"}}}}}},
}
doc = {"openapi": "3.1.0",
       "info": {"title": "raqib serve", "version": "1", "description": "Submit posts, accounts and media; get verdicts with evidence; work the review queue. Errors are JSON {\"error\": ...}. See docs/api.md."},
       "servers": [{"url": "http://127.0.0.1:8080"}],
       "security": [{"bearer": []}],
       "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "description": "A token from `raqib token add`; the page uses the session cookie instead"}},
                      "schemas": schemas},
       "paths": paths}
out = pathlib.Path(__file__).resolve().parent.parent / "docs" / "openapi.json"
out.write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n")
print(f"wrote {out}")
