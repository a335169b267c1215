/*
 * test-prompt.c - prompt templates (prompt.h): parsing with its errors,
 * the default template, rendering each kind of field, few-shot
 * demonstrations of every task type with their targets, and numbers that
 * stay in the C locale under a comma-decimal LC_NUMERIC.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "helpers.h"
#include "prompt.h"
#include "util.h"

static struct benchtop_field text(const char *name, const char *value)
{
	struct benchtop_field f = {0};

	f.name = name;
	f.type = BENCHTOP_FIELD_TEXT;
	f.text = value;
	f.text_len = strlen(value);
	return f;
}

static struct benchtop_field number(const char *name, double v)
{
	struct benchtop_field f = {0};

	f.name = name;
	f.type = BENCHTOP_FIELD_NUMBER;
	f.number = v;
	return f;
}

/* Render `tmpl` for `ex` and compare with `want` exactly. */
static void expect_render(const char *tmpl, enum benchtop_task_type type,
                          const struct benchtop_example *ex, const char *want)
{
	struct bt_prompt p;
	struct bt_buf b = BT_BUF_INIT;

	cr_assert_eq(bt_prompt_parse(&p, tmpl, NULL), 0, "parsing '%s': %s", tmpl, bt_error_last());
	cr_assert_eq(bt_prompt_render(&b, &p, type, ex), 0, "rendering '%s': %s", tmpl,
	             bt_error_last());
	cr_assert_str_eq(bt_buf_cstr(&b), want, "'%s' rendered '%s', not '%s'", tmpl,
	                 bt_buf_cstr(&b), want);
	bt_buf_free(&b);
	bt_prompt_release(&p);
}

static void expect_parse_error(const char *tmpl, size_t offset, const char *want)
{
	struct bt_prompt p;
	size_t at = 999;

	cr_assert_eq(bt_prompt_parse(&p, tmpl, &at), BT_EINPUT, "'%s' parsed", tmpl);
	cr_assert_eq(at, offset, "'%s': error at %zu, not %zu", tmpl, at, offset);
	cr_assert(strstr(bt_error_last(), want), "'%s': message '%s' lacks '%s'", tmpl,
	          bt_error_last(), want);
}

Test(prompt, replaces_placeholders_with_text_fields)
{
	struct benchtop_field f[2] = {text("question", "What is 2+2?"), text("topic", "sums")};
	struct benchtop_example ex = {.id = "q1", .fields = f, .n_fields = 2};

	expect_render("Question: {question}\nAnswer:", BENCHTOP_TASK_GENERATION, &ex,
	              "Question: What is 2+2?\nAnswer:");
	expect_render("[{topic}] {question} ({topic})", BENCHTOP_TASK_GENERATION, &ex,
	              "[sums] What is 2+2? (sums)");
	expect_render("no placeholders", BENCHTOP_TASK_GENERATION, &ex, "no placeholders");
	expect_render("", BENCHTOP_TASK_GENERATION, &ex, "");
}

Test(prompt, doubled_braces_are_literal_braces)
{
	struct benchtop_field f[1] = {text("x", "v")};
	struct benchtop_example ex = {.id = "e", .fields = f, .n_fields = 1};

	expect_render("{{x}} is {x}", BENCHTOP_TASK_GENERATION, &ex, "{x} is v");
	expect_render("{{{x}}}", BENCHTOP_TASK_GENERATION, &ex, "{v}");
	expect_render("a }} b {{", BENCHTOP_TASK_GENERATION, &ex, "a } b {");
	expect_render("json: {{\"k\": {x}}}", BENCHTOP_TASK_GENERATION, &ex, "json: {\"k\": v}");
}

Test(prompt, bad_templates_are_refused_at_the_faulty_brace)
{
	expect_parse_error("Q: {question", 3, "'{' is not closed");
	expect_parse_error("Q: {a{b}", 3, "'{' is not closed");
	expect_parse_error("a } b", 2, "'}' closes no placeholder");
	expect_parse_error("ok {x} then {}", 12, "names no field");
}

Test(prompt, the_default_template_is_the_field_or_one_line_per_field)
{
	const char *one[] = {"question"}, *two[] = {"premise", "hypothesis"};
	struct benchtop_field f[2] = {text("premise", "It rains."), text("hypothesis", "Wet.")};
	struct benchtop_example ex = {.id = "e", .fields = f, .n_fields = 2};
	struct bt_prompt p;
	struct bt_buf b = BT_BUF_INIT;

	bt_prompt_default(&p, two, 2);
	cr_assert_eq(bt_prompt_render(&b, &p, BENCHTOP_TASK_CLASSIFICATION, &ex), 0);
	cr_assert_str_eq(bt_buf_cstr(&b), "premise: It rains.\nhypothesis: Wet.");
	cr_assert_str_eq(p.fewshot_delimiter, "\n\n");
	cr_assert_str_eq(p.target_delimiter, " ");
	bt_prompt_release(&p);

	bt_buf_reset(&b);
	f[0] = text("question", "Why?");
	ex.n_fields = 1;
	bt_prompt_default(&p, one, 1);
	cr_assert_eq(bt_prompt_render(&b, &p, BENCHTOP_TASK_GENERATION, &ex), 0);
	cr_assert_str_eq(bt_buf_cstr(&b), "Why?");
	bt_prompt_release(&p);
	bt_buf_free(&b);
}

Test(prompt, a_placeholder_without_a_field_is_an_error_and_a_null_field_is_empty)
{
	struct benchtop_field f[2] = {text("a", "A"), {.name = "b", .type = BENCHTOP_FIELD_NULL}};
	struct benchtop_example ex = {.id = "ex-7", .fields = f, .n_fields = 2};
	const char *names[] = {"a", "b"};
	struct bt_prompt p;
	struct bt_buf b = BT_BUF_INIT;

	expect_render("{a}|{b}|", BENCHTOP_TASK_GENERATION, &ex, "A||");
	cr_assert_eq(bt_prompt_parse(&p, "{a} {answer}", NULL), 0);
	cr_assert_str_eq(bt_prompt_unknown_field(&p, names, 2), "answer");
	cr_assert_eq(bt_prompt_render(&b, &p, BENCHTOP_TASK_GENERATION, &ex), BT_EINPUT);
	cr_assert(strstr(bt_error_last(), "field 'answer'"), "%s", bt_error_last());
	cr_assert(strstr(bt_error_last(), "'ex-7'"), "%s", bt_error_last());
	bt_prompt_release(&p);
	cr_assert_eq(bt_prompt_parse(&p, "{b}{a}", NULL), 0);
	cr_assert_null(bt_prompt_unknown_field(&p, names, 2));
	bt_prompt_release(&p);
	bt_buf_free(&b);
}

/* Every kind of field, with the numbers that need care. */
static void expect_values(void)
{
	static const double vec[] = {1.5, NAN, -2, 1e-7};
	struct benchtop_field f[9] = {
	        number("int", 3),
	        number("tenth", 0.1),
	        number("third", 1.0 / 3),
	        number("big", 1e21),
	        number("neg", -2.5),
	        {.name = "vec", .type = BENCHTOP_FIELD_VECTOR, .vector = vec, .vector_len = 4},
	        {.name = "obj",
	         .type = BENCHTOP_FIELD_JSON,
	         .text = "{ \"k\" : [1, 2.50],\n \"s\": \"a b\\\" c\" }",
	         .text_len = 37},
	        {.name = "flag", .type = BENCHTOP_FIELD_NUMBER, .number = 1, .text = "true"},
	        text("t", "x\ty"),
	};
	struct benchtop_example ex = {.id = "e", .fields = f, .n_fields = 9};

	f[6].text_len = strlen(f[6].text);
	expect_render("{int} {tenth} {third} {big} {neg}", BENCHTOP_TASK_REGRESSION, &ex,
	              "3 0.1 0.3333333333333333 1e+21 -2.5");
	expect_render("{vec}", BENCHTOP_TASK_REGRESSION, &ex, "[1.5,null,-2,1e-07]");
	expect_render("{obj}", BENCHTOP_TASK_REGRESSION, &ex,
	              "{\"k\":[1,2.50],\"s\":\"a b\\\" c\"}");
	expect_render("{flag} {t}", BENCHTOP_TASK_REGRESSION, &ex, "true x\ty");
}

Test(prompt, renders_numbers_vectors_and_json_compactly)
{
	expect_values();
}

/*
 * A comma-decimal LC_NUMERIC (German) must not reach a prompt.  The
 * locale is compiled for the test when the system does not have it.
 */
Test(prompt, numbers_keep_the_c_locale_under_a_comma_decimal_lc_numeric)
{
	char buf[32];
	char *dir = NULL;

	if (!setlocale(LC_NUMERIC, "de_DE.UTF-8")) {
		dir = th_tmpdir();
		cr_assert_eq(th_sh("localedef -i de_DE -f UTF-8 '%s/de_DE.UTF-8' 2>/dev/null", dir),
		             0, "cannot compile the de_DE locale (Debian package 'locales')");
		setenv("LOCPATH", dir, 1);
		cr_assert_not_null(setlocale(LC_NUMERIC, "de_DE.UTF-8"),
		                   "de_DE.UTF-8 compiled but not usable");
	}
	/* The locale really is in force: printf writes a decimal comma. */
	snprintf(buf, sizeof(buf), "%g", 1.5);
	cr_assert_str_eq(buf, "1,5");
	expect_values();
	setlocale(LC_NUMERIC, "C");
	if (dir) {
		th_rm_rf(dir);
		free(dir);
	}
}

/* Few-shot: train examples with targets, then the example itself. */
struct shots {
	struct benchtop_field f[3];
	struct benchtop_target t[3];
	struct benchtop_example ex[3]; /* two shots, then the test example */
};

static void make_shots(struct shots *s, const char *const *questions)
{
	memset(s, 0, sizeof(*s));
	for (int i = 0; i < 3; i++) {
		s->f[i] = text("q", questions[i]);
		s->ex[i].id = questions[i];
		s->ex[i].fields = &s->f[i];
		s->ex[i].n_fields = 1;
		if (i < 2)
			s->ex[i].target = &s->t[i];
	}
	s->ex[2].shots = s->ex;
	s->ex[2].n_shots = 2;
}

Test(prompt, few_shot_demonstrations_come_first_with_their_targets)
{
	static const char *const q[] = {"1+1?", "2+3?", "4+4?"};
	struct shots s;
	struct bt_prompt p;
	struct bt_buf b = BT_BUF_INIT;

	make_shots(&s, q);
	s.t[0].text = "2";
	s.t[1].text = "5";
	expect_render("Question: {q}\nAnswer:", BENCHTOP_TASK_GENERATION, &s.ex[2],
	              "Question: 1+1?\nAnswer: 2\n\n"
	              "Question: 2+3?\nAnswer: 5\n\n"
	              "Question: 4+4?\nAnswer:");

	/* lm-evaluation-harness's gsm8k: "Question: ...\nAnswer:", target delimiter " ". */
	cr_assert_eq(bt_prompt_parse(&p, "Q: {q}\nA:", NULL), 0);
	bt_prompt_set_delimiters(&p, "\n###\n", "\t");
	cr_assert_eq(bt_prompt_render(&b, &p, BENCHTOP_TASK_GENERATION, &s.ex[2]), 0);
	cr_assert_str_eq(bt_buf_cstr(&b), "Q: 1+1?\nA:\t2\n###\nQ: 2+3?\nA:\t5\n###\nQ: 4+4?\nA:");
	bt_prompt_release(&p);
	bt_buf_free(&b);
}

Test(prompt, each_task_type_shows_its_own_kind_of_target)
{
	static const char *const q[] = {"a", "b", "c"};
	static const char *const choices0[] = {"red", "green"}, *const choices1[] = {"up", "down"};
	struct shots s;

	make_shots(&s, q);
	s.t[0].label = "pos";
	s.t[1].label = "neg";
	expect_render("{q}:", BENCHTOP_TASK_CLASSIFICATION, &s.ex[2], "a: pos\n\nb: neg\n\nc:");

	s.t[0].value = 0.1;
	s.t[1].value = -3;
	expect_render("{q} =", BENCHTOP_TASK_REGRESSION, &s.ex[2], "a = 0.1\n\nb = -3\n\nc =");

	s.ex[0].choices = choices0;
	s.ex[0].n_choices = 2;
	s.t[0].choice = 1;
	s.ex[1].choices = choices1;
	s.ex[1].n_choices = 2;
	s.t[1].choice = 0;
	expect_render("{q}?", BENCHTOP_TASK_MULTIPLE_CHOICE, &s.ex[2], "a? green\n\nb? up\n\nc?");

	/* Retrieval has no answers to show: the query alone. */
	expect_render("find {q}", BENCHTOP_TASK_RETRIEVAL, &s.ex[2], "find c");
}

Test(prompt, a_copy_renders_like_the_original)
{
	static const char *const q[] = {"x", "y", "z"};
	struct shots s;
	struct bt_prompt p, c;
	struct bt_buf b = BT_BUF_INIT;

	make_shots(&s, q);
	s.t[0].text = "1";
	s.t[1].text = "2";
	cr_assert_eq(bt_prompt_parse(&p, "<{q}>{{}}", NULL), 0);
	bt_prompt_set_delimiters(&p, "|", "=");
	bt_prompt_copy(&c, &p);
	bt_prompt_release(&p);
	cr_assert_eq(bt_prompt_render(&b, &c, BENCHTOP_TASK_GENERATION, &s.ex[2]), 0);
	cr_assert_str_eq(bt_buf_cstr(&b), "<x>{}=1|<y>{}=2|<z>{}");
	bt_prompt_release(&c);
	bt_buf_free(&b);
}
