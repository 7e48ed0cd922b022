/*
 * lib/personal_data: every pattern of chobo(7), PERSONAL DATA, found; the
 * look-alikes that must pass (dates, times, codes, hashes, quantities,
 * versions) not found; the accepted false positives and negatives pinned
 * down as such, so that a change to either list shows here.  Then the walk
 * over a body: paths, nesting, escapes, field names, and the exemption of a
 * type's public names.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "entry.h"
#include "json_scan.h"
#include "personal_data.h"
#include "service.h"
#include "tap.h"

struct text_case {
	const char *text;
	const char *what;  /* expected reason, or NULL */
};

static const char MAIL[] = "a mail address";
static const char PHONE[] = "a phone number";
static const char POSTAL[] = "a postal code with an address";
static const char MYNUM[] = "a resident number (My Number)";

static const struct text_case found[] = {
	{"taro@example.jp", MAIL},
	{"連絡先 taro.yamada+relief@mail.example.co.jp まで", MAIL},
	{"ｔａｒｏ＠ｅｘａｍｐｌｅ．ｊｐ", MAIL},
	{"mail: Hanako_S@City.Example.LG.JP.", MAIL},
	{"03-1234-5678", PHONE},
	{"090-1234-5678", PHONE},
	{"0120-123-456", PHONE},
	{"0570-000-123", PHONE},
	{"01267-2-3456", PHONE},
	{"0312345678", PHONE},
	{"09012345678", PHONE},
	{"03 1234 5678", PHONE},
	{"(03)1234-5678", PHONE},
	{"03(1234)5678", PHONE},
	{"03-12345678", PHONE},
	{"TEL:03-1234-5678", PHONE},
	{"Tel.0312345678", PHONE},
	{"電話03-1234-5678まで", PHONE},
	{"０３－１２３４－５６７８", PHONE},
	{"０９０ー１２３４ー５６７８", PHONE},
	{"03\u20101234\u20105678", PHONE},
	{"03\u22121234\u22125678", PHONE},
	{"0120\u30FC123\u30FC456", PHONE},
	{"+81 3 1234 5678", PHONE},
	{"+1-202-555-0143", PHONE},
	{"+81-90-1234-5678", PHONE},
	{"+44 20 7946 0958", PHONE},
	{"+81 (0)3 1234 5678", PHONE},
	{"＋８１ ３ １２３４ ５６７８", PHONE},
	{"〒123-4567", POSTAL},
	{"〒 1234567", POSTAL},
	{"〒100-0001 東京都千代田区千代田1-1", POSTAL},
	{"〒１００－０００１", POSTAL},
	{"100-0001 東京都千代田区", POSTAL},
	{"東京都千代田区 100-0001", POSTAL},
	{"１００－０００１ 千代田区", POSTAL},
	{"123456789018", MYNUM},
	{"1234-5678-9018", MYNUM},
	{"1234 5678 9018", MYNUM},
	{"番号: 123456789018 です", MYNUM},
	{"１２３４５６７８９０１８", MYNUM},
	/* At the edges of the quick pass that leaves most strings alone. */
	{"東京都,100-0001", POSTAL},
	{"taro＠example.jp", MAIL},
	{"03ー1234ー5678", PHONE},
	{"０３１２３４５６７８", PHONE},
	{"call 03-1234-5678 now", PHONE},
};

/* Look-alikes that must not be read as personal data. */
static const char *const not_found[] = {
	"Shelter 3 opened at Daini Elementary School",
	"volunteer p-8a47276bba2dc41a6220a15ed1cca51c helped at shelter 3",
	"p-0312345678abcdef0312345678abcdef", "p-12345678901234567890123456789012",
	"p-123456789018abcdef0123456789abcd",
	"避難所 第三小学校 開設 (shelter opened)",
	"給水車 2台 到着 (two water trucks arrived)",
	"毛布 300枚 受領 (300 blankets received)",
	/* dates and times */
	"2026-12-01", "2026-12-01T09:30:00Z", "2026-12-01T09:30:00+09:00", "09:30", "09:30-17:00",
	"2026/12/01 市役所にて", "令和8年12月1日", "20261201", "202612011230", "1767225600",
	"1767225600000", "0001-01-01T00:00:00Z",
	/* codes */
	"JP-13", "ISO 3166-2:JP-13", "JPY", "13101", "131016", "01100", "4901234567894",
	"W-0012", "W-0312345678", "ITEM-123-4567", "item_0312345678", "A0312345678",
	"2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881",
	"0312345678abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
	"ab123456789018cd", "sha256:0000000000000000000000000000000000000000000000000000000000000000",
	/* quantities and numbers */
	"300", "12,000円", "1,234,567", "120000000", "0.0312345678", "3.14159265358979",
	"1.23456789018", "+10℃", "UTC+9", "+1234567",
	"000000000000", "123456789012", "1234-5678-9012", "0120", "03-1234", "03-1234-567",
	"01-23-45-67-89", "1234.5678 9018", "00000123 abcdefghijabcdefghij",
	/* versions, handles, and mail-like text */
	"1.2.3", "v2.10.0", "5.3.28", "libdb 5.3.28 (2013-09-09)", "@chobo", "chobo@node-1",
	"pkg@1.2.3", "a @ b.example", "@example.jp", "meet@3pm.",
	/* a postal-code shape alone, or glued to a code */
	"123-4567", "100-0001", "W-123-4567 東京都", "2026-12-01 市役所",
};

/* Accepted false positives (chobo(7)): found, and documented as such. */
static const struct text_case accepted_positive[] = {
	{"ssh chobo@node-1.example", MAIL},
	{"+12345678", PHONE},
	{"0312345678 (an item number)", PHONE},
	{"item 123-4567 市場", POSTAL},
	{"UPC 049012345754", MYNUM},
};

/* Accepted false negatives (chobo(7)): not found. */
static const char *const accepted_negative[] = {
	"TEL-03-1234-5678",
	"taro at example dot jp",
	"03.1234.5678",
	"東京都千代田区千代田1-1",
	"1000001 東京都",
	"taro@例え.jp",
	"ゼロサン イチニサンヨン ゴロクナナハチ",
};

static void text_cases(void)
{
	for (size_t i = 0; i < sizeof found / sizeof *found; i++) {
		const char *what = personal_data_in_text(found[i].text, strlen(found[i].text));
		ok(what && strcmp(what, found[i].what) == 0, "\"%s\" looks like %s (%s)", found[i].text,
		   found[i].what, what ? what : "nothing");
	}
	for (size_t i = 0; i < sizeof not_found / sizeof *not_found; i++) {
		const char *what = personal_data_in_text(not_found[i], strlen(not_found[i]));
		ok(!what, "\"%s\" is not personal data (%s)", not_found[i], what ? what : "nothing");
	}
	for (size_t i = 0; i < sizeof accepted_positive / sizeof *accepted_positive; i++) {
		const struct text_case *c = &accepted_positive[i];
		const char *what = personal_data_in_text(c->text, strlen(c->text));
		ok(what && strcmp(what, c->what) == 0, "accepted false positive: \"%s\" looks like %s",
		   c->text, c->what);
	}
	for (size_t i = 0; i < sizeof accepted_negative / sizeof *accepted_negative; i++) {
		const char *what = personal_data_in_text(accepted_negative[i], strlen(accepted_negative[i]));
		ok(!what, "accepted false negative: \"%s\" is not found", accepted_negative[i]);
	}
	ok(!personal_data_in_text("", 0), "the empty string is not personal data");
	ok(!personal_data_in_text("\xff\xfe 03", 5), "invalid UTF-8 is read without harm");
}

struct name_case {
	const char *key;
	const char *word;  /* expected word, or NULL */
};

static const struct name_case names[] = {
	{"name", "name"}, {"Name", "name"}, {"NAME", "name"}, {"contact_name", "name"},
	{"contactName", "name"}, {"shelter_address", "address"}, {"shelterAddress", "address"},
	{"addr", "addr"}, {"e-mail", "mail"}, {"email", "email"}, {"EMail", "email"},
	{"mail", "mail"}, {"phone", "phone"}, {"phone2", "phone"}, {"tel", "tel"},
	{"tel_no", "tel"}, {"fax", "fax"}, {"mobile", "mobile"}, {"birth", "birth"},
	{"date_of_birth", "birth"}, {"birthday", "birthday"}, {"dob", "dob"},
	{"my_number", "my_number"}, {"myNumber", "my_number"}, {"MY-NUMBER", "my_number"},
	{"mynumber", "mynumber"}, {"zip_code", "zip"}, {"postal_code", "postal"},
	{"first_name", "name"}, {"surname", "surname"}, {"kana", "kana"},
	{"氏名", "氏名"}, {"名前", "名前"}, {"住所", "住所"}, {"連絡先電話", "電話"},
	{"メールアドレス", "メール"}, {"生年月日", "生年月日"}, {"マイナンバー", "マイナンバー"},
	{"個人番号", "個人番号"}, {"郵便番号", "郵便番号"},
	{"ip_address", "address"},  /* accepted: the rule does not know what is addressed */
	{"item_name", "name"},      /* accepted: a type that needs it lists it in public_names */
	{"text", NULL}, {"sha256", NULL}, {"issuer", NULL}, {"issued", NULL}, {"kind", NULL},
	{"ref", NULL}, {"expires", NULL}, {"username", NULL}, {"hotel", NULL}, {"mailbox", NULL},
	{"nameplate", NULL}, {"renamed", NULL}, {"telemetry", NULL}, {"number", NULL},
	{"my", NULL}, {"my_2_number", NULL}, {"item_code", NULL}, {"品目", NULL}, {"数量", NULL},
	{"", NULL},
};

static void name_cases(void)
{
	for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
		const char *word = personal_data_field_word(names[i].key, strlen(names[i].key));
		bool same = names[i].word ? word && strcmp(word, names[i].word) == 0 : !word;
		ok(same, "field name \"%s\": %s (%s)", names[i].key, names[i].word ? names[i].word : "allowed",
		   word ? word : "allowed");
	}
}

static const struct field_spec site_fields[] = {
	{"code", FIELD_STRING, true, 32, false},
	{"name", FIELD_STRING, true, 256, false},
	{NULL, 0, false, 0, false},
};
static const char *const site_public_names[] = {"name", NULL};
static const struct entry_type site_type = {
	"test.site", "a site with a public name", site_fields, NULL, site_public_names,
};
static const struct entry_type site_type_strict = {
	"test.site", "the same site without the exemption", site_fields, NULL, NULL,
};

/* Run personal_data_find on body (a JSON text); the reason, or "" when nothing was found. */
static const char *find(const char *body, const struct entry_type *t)
{
	static char why[512];
	struct json_doc doc = {0};
	char err[256];
	why[0] = '\0';
	if (!json_scan(&doc, body, strlen(body), err, sizeof err)) {
		snprintf(why, sizeof why, "bad test JSON: %s", err);
	} else if (personal_data_find(&doc, 0, t, why, sizeof why)) {
		if (!why[0])
			snprintf(why, sizeof why, "found, without a reason");
	} else if (why[0]) {
		snprintf(why, sizeof why, "a reason without a finding");
	}
	json_doc_free(&doc);
	return why;
}

/* Bodies, the type they are checked as, and the reason expected ("" for none). */
static const struct walk_case {
	const char *body;
	const struct entry_type *type;  /* NULL: the note type */
	const char *why;
} walks[] = {
	{"{\"text\":\"water for 300\"}", NULL,
	 ""},
	{"{\"text\":\"call taro@example.jp\"}", NULL,
	 "body.text: looks like a mail address"},
	{"{\"text\":\"ok\",\"items\":[{\"note\":\"x\"},{\"note\":\"call 03-1234-5678\"}]}", NULL,
	 "body.items[1].note: looks like a phone number"},
	{"{\"a\":{\"b\":[[\"x\",\"〒123-4567\"]]}}", NULL,
	 "body.a.b[0][1]: looks like a postal code with an address"},
	{"{\"text\":\"\\u0030\\u0033-1234-5678\"}", NULL,
	 "body.text: looks like a phone number"},
	{"{\"text\":\"\\uff10\\uff13\\u30fc1234\\u30fc5678\"}", NULL,
	 "body.text: looks like a phone number"},
	{"{\"text\":\"id 123456789018\"}", NULL,
	 "body.text: looks like a resident number (My Number)"},
	/* A field name that is itself personal data is not repeated in the reason. */
	{"{\"taro@example.jp\":1}", NULL,
	 "body: a field name looks like a mail address"},
	{"{\"a\":{\"090-1234-5678\":true}}", NULL,
	 "body.a: a field name looks like a phone number"},
	{"{\"contact_name\":\"x\"}", NULL,
	 "body.contact_name: the field name looks like personal data (name)"},
	{"{\"a\":{\"shelterAddress\":1}}", NULL,
	 "body.a.shelterAddress: the field name looks like personal data (address)"},
	{"{\"list\":[{\"tel\":null}]}", NULL,
	 "body.list[0].tel: the field name looks like personal data (tel)"},
	/* Numbers are not strings: quantities cannot trip the guard. */
	{"{\"text\":\"x\",\"n\":[312345678901,123456789018,9012345678]}", NULL,
	 ""},
	/* The exemption: a type's public names, at the top level, for the name rule only. */
	{"{\"code\":\"S-03\",\"name\":\"第三小学校\"}", &site_type,
	 ""},
	{"{\"code\":\"S-03\",\"name\":\"第三小学校\"}", &site_type_strict,
	 "body.name: the field name looks like personal data (name)"},
	{"{\"name\":\"第三小学校 03-1234-5678\"}", &site_type,
	 "body.name: looks like a phone number"},
	{"{\"x\":{\"name\":\"a\"}}", &site_type,
	 "body.x.name: the field name looks like personal data (name)"},
	{"{\"contact_name\":\"a\"}", &site_type,
	 "body.contact_name: the field name looks like personal data (name)"},
};

static void walk_cases(void)
{
	const struct entry_type *note = entry_type_find("note");
	for (size_t i = 0; i < sizeof walks / sizeof *walks; i++) {
		const char *got = find(walks[i].body, walks[i].type ? walks[i].type : note);
		ok(strcmp(got, walks[i].why) == 0, "%s -> \"%s\"", walks[i].body, walks[i].why);
		if (strcmp(got, walks[i].why) != 0)
			diag("got \"%s\"", got);
	}
	ok(strcmp(find("{\"name\":\"a\"}", NULL),
		  "body.name: the field name looks like personal data (name)") == 0,
	   "without a type, no field is exempt");

	/* Long and odd keys: cut at a character boundary, control characters shown as '?'. */
	char body[2048];
	snprintf(body, sizeof body, "{\"%s\":{\"phone\":1}}",
		 "あいうえおかきくけこさしすせそたちつてとなにぬねの");
	const char *why = find(body, note);
	ok(strstr(why, "body.あいうえおかきくけこさしすせそた....phone") != NULL &&
	   strstr(why, "...") != NULL, "a long key is cut short with ... (%s)", why);
	ok(strstr(why, "(phone)") != NULL, "... and the reason still follows");
	why = find("{\"a\\nb\":{\"phone\":1}}", note);
	ok(strcmp(why, "body.a?b.phone: the field name looks like personal data (phone)") == 0,
	   "a control character in a key is shown as ? (%s)", why);
	size_t n = 0;
	n += (size_t)snprintf(body + n, sizeof body - n, "{");
	for (int d = 0; d < 30; d++)
		n += (size_t)snprintf(body + n, sizeof body - n, "\"level_%02d_abcdefghijkl\":{", d);
	n += (size_t)snprintf(body + n, sizeof body - n, "\"email\":1");
	for (int d = 0; d < 31; d++)
		n += (size_t)snprintf(body + n, sizeof body - n, "}");
	why = find(body, note);
	ok(strlen(why) < 512 && strstr(why, "...: the field name looks like personal data (email)"),
	   "a deep path is cut short and the reason kept (%s)", why);
	char small[24];
	struct json_doc doc = {0};
	char err[128];
	const char *text = "{\"text\":\"taro@example.jp\"}";
	ok(json_scan(&doc, text, strlen(text), err, sizeof err) &&
	   personal_data_find(&doc, 0, note, small, sizeof small) && strlen(small) == sizeof small - 1,
	   "a small reason buffer is filled and terminated");
	json_doc_free(&doc);
}

/* The hook: entry_input_parse and entry_body_check refuse what the guard finds. */
static void entry_cases(void)
{
	struct json_doc doc = {0};
	struct entry_input in;
	char err[256];
	const char *line = "{\"type\":\"note\",\"body\":{\"text\":\"mail taro@example.jp\"}}";
	ok(!entry_input_parse(line, strlen(line), &doc, &in, err, sizeof err) &&
	   strcmp(err, "body.text: looks like a mail address") == 0,
	   "entry_input_parse refuses a note with a mail address (%s)", err);
	line = "{\"type\":\"note\",\"body\":{\"text\":\"300 blankets\"}}";
	ok(entry_input_parse(line, strlen(line), &doc, &in, err, sizeof err), "... and takes a plain note");
	const char *stored = "{\"log\":\"example.org/x\",\"index\":0,\"time\":\"2026-01-01T00:00:00Z\","
			     "\"type\":\"note\",\"body\":{\"text\":\"090-1234-5678\"}}";
	struct entry_view view;
	ok(!entry_parse(stored, strlen(stored), "example.org/x", 0, &doc, &view, err, sizeof err) &&
	   strcmp(err, "body.text: looks like a phone number") == 0,
	   "entry_parse refuses a stored note with a phone number (%s)", err);
	const char *site = "{\"code\":\"S-03\",\"name\":\"第三小学校\"}";
	ok(json_scan(&doc, site, strlen(site), err, sizeof err) &&
	   entry_body_check(&site_type, &doc, 0, err, sizeof err), "entry_body_check takes a site's public name");
	ok(json_scan(&doc, site, strlen(site), err, sizeof err) &&
	   !entry_body_check(&site_type_strict, &doc, 0, err, sizeof err) &&
	   strstr(err, "body.name: the field name looks like personal data") == err,
	   "... and refuses it in a type without the exemption (%s)", err);
	/* Every registered field, so that a new service's type with a refused field name shows here. */
	for (const struct service *const *s = service_list(); *s; s++)
		for (const struct entry_type *t = (*s)->types; t->name; t++)
			for (const struct field_spec *f = t->fields; f->name; f++) {
				bool exempt = false;
				for (const char *const *p = t->public_names; p && *p; p++)
					exempt = exempt || strcmp(*p, f->name) == 0;
				const char *word = personal_data_field_word(f->name, strlen(f->name));
				ok(exempt || !word, "registered field %s.%s is not named like personal data",
				   t->name, f->name);
			}
	json_doc_free(&doc);
}

int main(void)
{
	text_cases();
	name_cases();
	walk_cases();
	entry_cases();
	return done();
}
