#!/usr/bin/env python3
"""Write the seed corpus of the fuzz targets: tests/fuzz/corpus/<target>/.

The seeds are committed; this script is how they were made, so that they
can be read, changed and made again (python3 tests/fuzz/make_seeds.py).
Each seed is small and aims at one awkward corner of its parser. Files whose
names start with crash- are inputs that once crashed a target: they are
added by hand and never removed or rewritten here.
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
BIZ = "44271176-7053-4534-ad6f-b38d132d341e"
CAMPAIGN = "2c07094a-ed58-4cf2-9595-cf1b1d303d9d"


def write(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


# ---- CSV exports ------------------------------------------------------------

STD = "First Name,Last Name,Email,Phone\n"
FULL = "Name,Email,Phone,Country,Location,Status,SMS,Email Opt Out\n"


def csv_seeds():
    s = {}
    s["std.csv"] = (STD +
        "Ann,A,ann@example.com,0412 345 678\n"
        "Ben,B,,+61 412 345 679\n"
        "Cat,C,cat@example.com,(02) 9374 4000\n"
        "Dan,D,,(02) 9374 4001\n"
        "Eve,E,bob@@x.com,0412 345 680\n"
        "ann,again,ANN@EXAMPLE.COM,\n"
        " ,blank first,x@y.com,\n"
        "Gus,G,,\n")
    s["quoted_newlines.csv"] = (STD +
        '"Ann\nMarie","O\'Brien ""Jr""",ann@example.com,"0412\r\n345 678"\r\n'
        '"",,"",""\r\n'
        'Ben,"B,b",ben@example.com,0412345679\n'
        '"Cat","C"\n')
    s["bom_utf8.csv"] = b"\xef\xbb\xbf" + (STD + "Zo\xc3\xab,M\xc3\xbcller,zoe@example.com,0412 000 111\n").encode("latin-1")
    s["bom_only.csv"] = b"\xef\xbb\xbf"
    tab = "First Name\tLast Name\tEmail\tPhone\r\nJos\u00e9\tN\u00fa\u00f1ez\tjose@example.com\t0412 111 222\r\n\U0001F600\tEmoji\temoji@example.com\t\r\n"
    s["utf16le_bom_tab.csv"] = b"\xff\xfe" + tab.encode("utf-16-le")
    s["utf16be_bom.csv"] = b"\xfe\xff" + (STD + "Ann,A,ann@example.com,0412 345 678\n").encode("utf-16-be")
    s["utf16le_nobom.csv"] = (STD + "Ann,A,ann@example.com,0412 345 678\n").encode("utf-16-le")
    # Odd length, lone surrogates, a surrogate pair cut at the end.
    s["utf16_broken.csv"] = (b"\xff\xfe" + STD.encode("utf-16-le") +
        b"A\x00\x00\xd8,\x00\x00\xdc\x00\xdcB\x00\n\x00" + b"=\xd8")
    s["cp1252.csv"] = (STD.encode() +
        b"Jos\xe9,\x93Quoted\x94,jose@example.com,0412 345 678\n"
        b"\x80uro,\x81\x8d\x8f\x90\x9d,e@x.com,\n"
        b"\xff\xfe,\xc3,c@x.com,\n")
    s["invalid_utf8.csv"] = (STD.encode() +
        b"\xc0\xaf,\xed\xa0\x80,ov@x.com,\n"
        b"\xf4\x90\x80\x80,\xe2\x82,t@x.com,\xf0\x9f\x98")
    s["nul_byte.csv"] = STD.encode() + b"Ann,A\x00nn,ann@example.com,0412 345 678\n"
    s["unbalanced_quote.csv"] = STD + 'Ann,"A,ann@example.com,0412 345 678\nBen,B,ben@example.com,\n'
    s["quote_mid_field.csv"] = (STD +
        'Ann,O"Brien,ann@example.com,0412 345 678\n'
        '"Ben"x,B,ben@example.com,\n'
        '"Cat" ,C,cat@example.com,\n'
        '"Dan""",D,"",""""\n')
    s["cr_only.csv"] = STD.replace("\n", "\r") + "Ann,A,ann@example.com,0412 345 678\r\r\rBen,B,,0412 345 679\r"
    s["mixed_line_ends.csv"] = (STD.replace("\n", "\r\n") + "Ann,A,a@x.com,\n\r\nBen,B,b@x.com,\r"
        "\"Cat\r\",C,c@x.com,\n\n\nDan,D,d@x.com,")
    s["semicolon.csv"] = "Vorname;Nachname;E-Mail;Handy\nJ\u00fcrgen;M\u00fcller;j@example.de;+49 151 23456789\n\"a;b\";c;d@e.de;\n"
    s["blank_rows.csv"] = STD + ",,,\n \t, ,\t,\n\nAnn,A,ann@example.com,\n,,,,,,,\n"
    s["wrong_field_count.csv"] = STD + "Ann\nBen,B,ben@example.com,0412345679,extra,more\n,\n"
    s["empty.csv"] = b""
    s["header_only.csv"] = STD
    s["many_fields.csv"] = ",".join("c%d" % i for i in range(4100)) + "\n" + "," * 4100 + "\n"
    s["full.csv"] = (FULL +
        "Ann Lee,ann@example.com,0412 345 678,AU,Bondi,active,yes,\n"
        "Ben,ben@example.com,020 7946 0958,United Kingdom,manly wharf,active,no,yes\n"
        "Cat Smith Jones,,+1 415 555 0100,US," + BIZ + ",,y,\n"
        "Dan,dan@example.com,021 555 1234,New Zealand,Coogee,inactive,yes,\n"
        ",noname@example.com,0412 345 679,ZZ,Bondi,,,\n"
        "  Eve  ,EVE@GMIAL.COM,0412345680,Australia,,active,true,no\n"
        "Fay,fay@example.com,06 12 34 56 78,France,Bondi,deleted,1,\n")
    s["shopify.csv"] = (
        "First Name,Last Name,Email,Accepts Email Marketing,Default Address Company,"
        "Default Address Address1,Default Address Address2,Default Address City,"
        "Default Address Province Code,Default Address Country Code,Default Address Zip,"
        "Default Address Phone,Phone,Accepts SMS Marketing,Total Spent,Total Orders,Note,Tax Exempt,Tags\n"
        "Ann,Lee,ann@example.com,yes,,1 George St,,Sydney,NSW,AU,2000,'+61293744000,'+61412345678,yes,10.00,1,,no,\n"
        "Ben,,ben@example.com,no,,,,Auckland,,NZ,,,'021 555 1234,no,0,0,\"multi\nline\",no,\"a, b\"\n")
    s["square.csv"] = (
        "Reference ID,First Name,Surname,Email Address,Phone Number,Nickname,Company Name,"
        "Street Address 1,Street Address 2,City,State,Postal Code,Birthday,Memo,Square Customer ID,"
        "Creation Source,First Visit,Last Visit,Transaction Count,Total Spend,Email Subscription Status,Instant Profile\n"
        "R1,Ann,Lee,ann@example.com,0412 345 678,,,,,,,,,,SQ1,Directory,,,1,$10,subscribed,No\n"
        ",Ben,Ng,ben@example.com,,,,,,,,,,,SQ2,,,,0,$0,unsubscribed,Yes\n")
    s["ambiguous.csv"] = "First Name,Email,Email Address,Phone\nAnn,a@x.com,b@x.com,\n"
    s["phones.csv"] = (STD +
        "A,,,+\nB,,,++61412345678\nC,,,0\nD,,,00000000000000000000000000000000000000000000\n"
        "E,,,tel:+61-412-345-678\nF,,,0412 345 678 x123\nG,,,1-800-FLOWERS\n"
        "H,,,\u0660\u0664\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\n"
        "I,,,\uff10\uff14\uff11\uff12\uff13\uff14\uff15\uff16\uff17\uff18\n"
        "J,,,'0412345678\nK,,,+61 (0) 412 345 678\nL,,,+999 123\nM,,,;;;---...\n"
        "N,,,+61412345678;ext=1\nO,,,\u200b0412\u00a0345\u00a0678\n")
    s["emails.csv"] = (STD +
        "A,a@b,,\nB,UPPER@GMIAL.COM,,\nC,x@y..com,,\nD,<d@x.com>,,\nE,\" e@x.com \",,\n"
        "F,f@x.com f2@x.com,,\nG,@x.com,,\nH,h@,,\nI," + "i" * 300 + "@example.com,,\n"
        "J,j@\u00e9xample.com,,\nK,k@x.c\u00f6m,,\nL,l@hotmial.con,,\n")
    # A quoted field of 70,000 bytes: past the 64 KiB block and the 64 KiB a
    # field may hold in validation.
    s["huge_field.csv"] = STD + 'Ann,"' + ("x" * 70000) + '",ann@example.com,0412 345 678\nBen,B,ben@example.com,\n'
    # A CRLF split by the 64 KiB block boundary, and a CR alone at it.
    head = STD + "Pad,P,pad@example.com,\""
    pad = 65536 - len(head) - 2
    s["crlf_at_block_edge.csv"] = head + "y" * pad + "\"\r\nAnn,A,ann@example.com,\rBen,B,b@x.com,\n"
    s["cr_at_block_edge.csv"] = head + "y" * (pad + 1) + "\"\rAnn,A,ann@example.com,\n"
    # Issue 10: real exports. Legacy encodings uchardet names, UTF-32, spaces
    # after a closing quote, blank rows, duplicate headers, multi-values,
    # opt-out columns, huge rows (issue 9 item 8) and surrogates (item 6).
    s["cp1251.csv"] = ("First Name,Last Name,Email,Mobile\r\n"
        "Анна,Иванова,anna@example.ru,+7 912 345-67-89\r\n"
        "Сергей,Петров,sergey@example.ru,8 (912) 345-67-90\r\n").encode("cp1251")
    s["cp1256.csv"] = ("First Name,Last Name,Email\r\nمحمد,العلي,m.ali@example.sa\r\n"
        "فاطمة,الزهراني,fatima@example.sa\r\n").encode("cp1256")
    s["utf32le_bom.csv"] = "First Name,Email\r\nAnn,ann@example.com\r\n".encode("utf-32")
    s["utf32be_nobom.csv"] = "First Name,Email\r\nAnn,ann@example.com\r\n".encode("utf-32-be")
    s["quote_then_spaces.csv"] = 'Name,Email\r\n"Smith, John" ,j@x.io\r\n"Doe"\t,d@x.io\r\n"A\nB"  ,x@y.io\r\n'
    s["blank_kinds.csv"] = 'First Name,Email\r\nAnn,a@x.io\r\n\r\n   \r\n""\r\n,\r\n\rBen,b@x.io\n'
    s["dup_headers.csv"] = ("Record ID,First Name,Email,Phone Number,Phone Number\r\n"
        "1,Ann,,0412 000 001,\r\n2,Ben,,,0412 000 002\r\n")
    s["google_multi.csv"] = ("Name,Given Name,Family Name,E-mail 1 - Type,E-mail 1 - Value,Phone 1 - Type,"
        "Phone 1 - Value\r\nHarriet Moss,Harriet,Moss,* Home,bad ::: h@x.io ::: ,Mobile,"
        "+61 412 555 019 ::: 0417 033 922 adele\r\n")
    s["optouts.csv"] = ("Email Address,First Name,Phone Number,Status,Email Status,Do Not Contact,UNSUB_TIME,"
        "CLEAN_TIME\r\na@x.io,Ann,0412 000 001,Unsubscribed,bounced,yes,2026-01-01,\r\n")
    s["surrogates.csv"] = b"First Name,Email\r\nA\xed\xa0\x80,a@x.io\r\nB\xf4\x90\x80\x80,b@x.io\r\n"
    s["many_fields_5000.csv"] = "a,b\r\n" + ",".join(["x"] * 5000) + "\r\n1,2\r\n"
    s["names.csv"] = ('Name,Email\r\n"Abernethy, Mat",m@x.io\r\n(Anna Calhoun),a@x.io\r\n'
        'Dr. Jane Roe,j@x.io\r\nratismycat@gmail.com,r@x.io\r\n')
    return s


# ---- pipeline files -------------------------------------------------------

INVITE = """version: 1
kind: invite
name: fuzz-invite

api:
  base_url: https://app.cloutly.com/api/v1
  api_key: ${FUZZ_KEY}
  rate_limit: 100/min
  max_in_flight: 4
  timeout: 30s
  retries: 5
  retry_in_doubt: false

input:
  path: ../samples/square-customers.csv
  encoding: auto
  delimiter: ","
  columns:
    firstName: ["First Name", "Given Name"]
    lastName: "Last Name"
    email: "Email Address"
    phoneNumber: "Phone Number"
    sourceContactId: "Reference ID"
    businessId: "Location"
    country: ["Country Code", Country]
  where:
    - column: "Email Subscription Status"
      in: ["subscribed"]

validate:
  default_country: AU
  landlines: skip
  dedupe: true
  cooldown_days: 90
  fix_email_typos: false

channels:
  sms:
    column: "Accepts SMS Marketing"
    in: ["yes", "true"]
  email:
    column: "Unsubscribed"
    not_in: ["yes"]

invite:
  business_id: %s
  campaign_id: %s
  invite_delay_days: 1
  min_sms_left: 10
  max_per_run: 500
  source: pos
  business_map:
    Bondi: 5ef7b45b-2fd2-4719-88fd-96ef62f9d4a4
    "Manly Wharf": a1b2c3d4-0000-4000-8000-00000000abcd

output:
  results: out/{name}-{date}-{time}-results.csv
  rejects: ${FUZZ_DIR}/{run_id}-rejects.csv

state:
  path: out/{name}.ledger.sqlite
""" % (BIZ, CAMPAIGN)

EXPORT = """version: 1
kind: export
name: archive
api:
  api_key_file: key.txt
  rate_limit: 10/s
  timeout: 500ms
  ca_file: /etc/ssl/certs/ca-certificates.crt
export:
  format: csv
  output: ../out/{name}-{date}.csv
  page_size: 1000
  sort: asc
  since: 2025-01-01T00:00:00Z
  filters: { source: google, businessId: %s, showOnWidget: true }
  fields: [id, createdAt, response.comment, a.b.c]
  csv_formula_guard: false
  excel: true
state:
  path: /var/lib/cloutly/{name}.sqlite
""" % BIZ


def pipeline_seeds():
    s = {}
    s["invite_full.yaml"] = INVITE
    s["export_csv.yaml"] = EXPORT
    s["export_last_run.yaml"] = ("version: 1\nkind: export\napi:\n  api_key: ${FUZZ_KEY}\n"
        "export:\n  format: ndjson\n  output: \"-\"\n  since: last_run\n  sort: desc\n  page_size: 1\n"
        "  filters:\n    showOnWidget: false\n    source: null\nstate:\n  path: ${FUZZ_DIR}/state.sqlite\n")
    s["minimal.yaml"] = "version: 1\nkind: invite\ninput: {path: in.csv}\ninvite: {business_id: %s, campaign_id: %s}\n" % (BIZ, CAMPAIGN)
    s["flow_style.yaml"] = ('{version: 1, kind: invite, input: {columns: {firstName: [a, b, "c"], email: e}}, '
        'invite: {business_map: {"x": %s, y: null}}}' % BIZ)
    s["anchors.yaml"] = ("version: 1\nkind: invite\nbase: &b\n  rate_limit: 10/s\napi: *b\n"
        "api2: &x [*x]\n")
    s["tags.yaml"] = "version: !!int 1\nkind: !custom invite\napi: !!map {}\n"
    s["two_docs.yaml"] = "version: 1\nkind: invite\n---\nversion: 1\n...\n"
    s["deep_nesting.yaml"] = "version: 1\nkind: invite\nx: " + "[" * 80 + "]" * 80 + "\n" + "y: " + "{a: " * 70 + "1" + "}" * 70 + "\n"
    s["bad_yaml.yaml"] = "version: 1\nkind: invite\napi:\n  rate_limit: 100/min\n   timeout: 3s\n\t- oops: [\n"
    s["unterminated.yaml"] = 'version: 1\nkind: "invite\ninput:\n  path: \'x\n'
    s["env_vars.yaml"] = ("version: 1\nkind: invite\napi:\n  api_key: ${FUZZ_UNSET}\n  base_url: http://localhost:8080${FUZZ_EMPTY}/x/\n"
        "  rate_limit: ${FUZZ_RATE}\ninput:\n  path: ${FUZZ_BIG}/${FUZZ_DIR}/${}/${1A}/${A\n"
        "output:\n  results: ${FUZZ_DIR}{x}{date\n")
    s["typos.yaml"] = ("version: 1\nkind: invite\napi:\n  rate_limt: 100/min\n  retries: 99\n  max_in_flight: -1\n"
        "validate:\n  default_country: Australia\n  landlines: maybe\n  dedupe: yes\n  cooldown_days: 1e9\n"
        "invite:\n  invite_delay_days: 2\n  business_id: not-a-uuid\n")
    s["wrong_types.yaml"] = ("version: [1]\nkind: {a: b}\napi: 5\ninput:\n  columns: [x]\n  where: {column: x}\n"
        "invite:\n  business_map: [a, b]\nexport: ~\n")
    s["numbers.yaml"] = ("version: 1\nkind: invite\napi:\n  rate_limit: 1e308/s\n  timeout: 99999999999999999999m\n"
        "  retries: 0x10\n  max_in_flight: 9223372036854775808\ninvite:\n  min_sms_left: -0\n"
        "  max_per_run: .inf\nvalidate:\n  cooldown_days: nan\n")
    s["duplicate_keys.yaml"] = "version: 1\nkind: invite\napi: {}\napi: {}\ninput:\n  path: a\n  path: b\n"
    s["nul_and_bom.yaml"] = b"\xef\xbb\xbfversion: 1\nkind: \"inv\\0ite\"\nname: \"a\x00b\"\n"
    s["bad_utf8.yaml"] = b"version: 1\nkind: invite\nname: \xc3\x28\xff\n"
    s["utf16.yaml"] = b"\xff\xfe" + "version: 1\nkind: invite\n".encode("utf-16-le")
    s["complex_keys.yaml"] = "? [a, b]\n: c\n? {x: y}\n: z\nversion: 1\n"
    s["templates.yaml"] = ("version: 1\nkind: invite\nname: t.e_m-p\ninput: {path: \"/abs/{name}.csv\"}\n"
        "invite: {business_id: %s, campaign_id: %s}\noutput:\n  results: \"{date}{time}{run_id}{name}.csv\"\n"
        "  rejects: \"{date}/{unknown}.csv\"\nstate:\n  path: \"}{}{{date}}\"\n" % (BIZ, CAMPAIGN))
    s["block_scalars.yaml"] = ("version: 1\nkind: invite\nname: >-\n  folded-name\ninvite:\n  source: |\n    multi\n    line\n"
        "  business_id: '%s'\n  campaign_id: \"%s\"\ninput:\n  path: 'a b/\\t.csv'\n  delimiter: \"\\t\"\n"
        "  encoding: utf-16\nvalidate:\n  landlines: send\n  dedupe: false\n  fix_email_typos: true\n  default_country: nz\n" % (BIZ, CAMPAIGN))
    s["empty.yaml"] = b""
    s["only_comment.yaml"] = "# nothing\n"
    s["null_values.yaml"] = "version: 1\nkind: invite\napi: ~\ninput:\n  columns:\n    email: ~\n    phoneNumber: []\nchannels:\n  sms: null\n"
    s["many_nodes.yaml"] = "version: 1\nkind: invite\ninput: {columns: {businessId: Store}}\ninvite:\n  campaign_id: %s\n  business_by_name: true\n  business_map:\n" % CAMPAIGN + "".join(
        "    b%d: %s\n" % (i, BIZ) for i in range(300))
    return s


# ---- API answers ------------------------------------------------------------

REVIEW = ('{"id":"r1","createdAt":"2025-11-01T10:00:00Z","updatedAt":"2025-11-01T10:00:00Z",'
          '"businessId":"%s","source":"google","rating":5,"authorName":"Ann","name":"Ann Lee",'
          '"email":"ann@example.com","phoneNumber":"+61412345678","text":"Great!\\nThanks","status":"published",'
          '"showOnWidget":true,"isArchived":false,"shield":null,"type":"review","photo":null,'
          '"videoRef":null,"gifRef":null,"reviewUrl":"https://g.co/r/1","sourceFeedbackId":"f1",'
          '"response":{"name":"Owner","date":"2025-11-02","comment":"Thank you"}}' % BIZ)


def json_seeds():
    s = {}
    s["page.json"] = '{"reviews":[%s],"total":1}' % REVIEW
    s["page_pretty.json"] = ('{\n  "total": "2",\n  "reviews": [\n    {\n      "id": 7,\n      "createdAt": "2025-01-01",\n'
        '      "text": "=HYPERLINK(\\"x\\")"\n    },\n    "not an object",\n    {"id": null, "createdAt": 5}\n  ]\n}\n')
    s["total_null.json"] = '{"total":null,"reviews":[],"next":{"cursor":"x"}}'
    s["total_huge.json"] = '{"total":123456789012345678901234567890,"reviews":[{"id":1e400,"rating":-0.0e-999}]}'
    s["total_negative.json"] = '{"total":-5,"reviews":[{"id":"\\u0000\\ud800\\udc00\\ud83d","createdAt":"\\u00e9"}]}'
    s["truncated.json"] = ('{"reviews":[%s' % REVIEW)[:200]
    s["truncated_string.json"] = '{"reviews":[{"id":"abc'
    s["deep_nesting.json"] = '{"reviews":[{"id":"d","x":' + "[" * 70 + "]" * 70 + '}]}'
    s["deep_nesting_ok.json"] = '{"reviews":[{"id":"d","response":' + '{"a":' * 50 + "1" + "}" * 50 + '}]}'
    s["no_reviews.json"] = '{"data":[],"total":0}'
    s["reviews_not_array.json"] = '{"reviews":{"id":1}}'
    s["repeated_reviews.json"] = '{"reviews":[{"id":1}],"reviews":[{"id":2},{"id":3}],"total":3}'
    s["escaped_keys.json"] = '{"\\u0072eviews":[{"\\u0069d":"x","createdAt":"2025","response":{"comment":"a\\"b\\\\c\\/d\\b\\f\\n\\r\\t"}}]}'
    s["trailing_garbage.json"] = '{"reviews":[]} x'
    s["array_root.json"] = '[{"id":"b1","name":"Bondi"}]'
    s["bad_escape.json"] = '{"reviews":[{"id":"\\x41","text":"\\u12G4"}]}'
    s["control_chars.json"] = b'{"reviews":[{"id":"a\x01b","text":"tab\there"}]}'
    s["nul_in_body.json"] = b'{"message":"bad\x00request","reviews":[]}'
    s["invalid_utf8.json"] = b'{"reviews":[{"id":"\xff\xfe","text":"\xc3"}]}'
    s["numbers.json"] = '{"reviews":[{"id":-0,"a":01,"b":1.,"c":.5,"d":1e,"e":-,"f":+1}]}'
    s["accepted.json"] = '{"contact":{"id":"c_123"},"usage":{"smsLimitsLeft":19,"renews":"2025-12-01"}}'
    s["accepted_strings.json"] = '{"contact":{"id":12345678901234567890},"usage":{"smsLimitsLeft":"19","renews":null}}'
    s["accepted_huge_numbers.json"] = '{"contact":{"id":1e308},"usage":{"smsLimitsLeft":1e300}}'
    s["accepted_weird.json"] = '{"contact":null,"usage":{"smsLimitsLeft":"unlimited","renews":' + '"' + "r" * 150 + '"}}'
    s["error_message.json"] = '{"message":"firstName is required\\nand more","error":"Bad Request"}'
    s["error_not_string.json"] = '{"message":{"x":1},"error":["a"]}'
    s["empty.json"] = b""
    s["not_json.html"] = "<html><body>502 Bad Gateway</body></html>\r\n" * 10
    s["literals.json"] = '{"reviews":[{"id":true},{"id":false},{"id":null},{"id":[]},{"id":{}}],"total":"1x"}'
    return s


def main():
    for target, seeds in (("csv_in", csv_seeds()), ("pipeline", pipeline_seeds()),
                          ("review_page", json_seeds())):
        for name, data in seeds.items():
            write(target, name, data)
        print("%s: %d seeds" % (target, len(seeds)), file=sys.stderr)


if __name__ == "__main__":
    main()
