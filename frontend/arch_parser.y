/* arch_parser.y — the bison grammar of architecture descriptions.
 *
 * A description is a sequence of top-level declarations:
 *
 *   arch llama
 *   hparam n_embd: int = "{arch}.embedding_length"
 *   let hd = n_embd / n_head
 *   optional weight bq[l] = "blk.{l}.attn_q.bias" : f32[n_head * hd]
 *   fn is_sliding(l) = l % 6 < 5
 *   graph decode(tok, pos) { x = embed(tok_embd, tok) ... return logits }
 *
 * Newlines are not significant: no statement can begin with an operator,
 * so `x = a` followed by `y = b` is never ambiguous. The grammar is LALR(1)
 * with no conflicts; operator precedence follows C, with `and`/`or`/`not`
 * spelled as words and `c ? a : b` as the conditional expression.
 *
 * The parser only builds the tree (arch_ast.h). Names, argument counts and
 * keyword arguments are checked afterwards by arch_check.c, so that a name
 * may be used before the declaration that defines it (functions, weights).
 *
 * Syntax errors are reported once, as "file:line:col: error: unexpected X,
 * expected Y", at the offending token.
 */
%define api.pure full
%define api.prefix {arch_yy}
%define parse.error custom
%define parse.lac full
%locations
%param {yyscan_t scanner}
%parse-param {arch_parse_state *ps}

%code requires {
#include "frontend/arch_ast.h"
#ifndef GQC_ARCH_YYSCAN_T
#define GQC_ARCH_YYSCAN_T
typedef void *yyscan_t;
#endif
typedef struct arch_parse_state {
  arch_program *prog;
  gqc_diag *diag;
  arch_decl **decl_tail;
  char last_text[48]; /* the most recently scanned token, for messages */
} arch_parse_state;
typedef struct arch_stmt_list { arch_stmt *head, *tail; } arch_stmt_list;
typedef struct arch_arg_list { arch_arg *head, *tail; } arch_arg_list;
typedef struct arch_expr_list { arch_expr *head, *tail; } arch_expr_list;
typedef struct arch_ident_list { arch_ident *head, *tail; int n; } arch_ident_list;
typedef struct arch_key_list { arch_keylist *head, *tail; } arch_key_list;
typedef struct arch_block { arch_stmt *body; arch_loc end; } arch_block;
}

%union {
  int64_t i;
  double f;
  const char *s;
  arch_str *str;
  arch_expr *expr;
  arch_stmt *stmt;
  arch_decl *decl;
  unsigned types;
  arch_stmt_list stmts;
  arch_arg_list args;
  arch_arg *arg;
  arch_expr_list exprs;
  arch_ident_list idents;
  arch_key_list keys;
  arch_block block;
  int flag;
}

%code {
#include <stdio.h>
#include <string.h>

#include "arch_lexer.h"

#define LOC(l) ((arch_loc){(l).first_line, (l).first_column})

static void arch_yyerror(ARCH_YYLTYPE *loc, yyscan_t scanner, arch_parse_state *ps,
                         const char *msg) {
  (void)scanner;
  arch_error(ps->prog, LOC(*loc), ps->diag, "%s", msg);
}

static arch_expr *binary(arch_parse_state *ps, int op, arch_expr *a, arch_expr *b, arch_loc loc) {
  arch_expr *e = arch_expr_new(ps->prog, AE_BINARY, loc);
  e->op = op;
  e->a = a;
  e->b2 = b;
  return e;
}

static void add_decl(arch_parse_state *ps, arch_decl *d) {
  *ps->decl_tail = d;
  ps->decl_tail = &d->next;
}

/* Maps a type name (int, float, bool, str, with [] for arrays) to its bit. */
static bool type_bit(arch_parse_state *ps, const char *name, bool array, arch_loc loc,
                     unsigned *out) {
  static const char *names[] = {"int", "float", "bool", "str"};
  for (int k = 0; k < 4; k++)
    if (!strcmp(name, names[k])) {
      *out = 1u << (k + (array ? 4 : 0));
      return true;
    }
  return arch_error(ps->prog, loc, ps->diag,
                    "unknown type '%s' (types: int, float, bool, str, and arrays such as "
                    "bool[])",
                    name);
}
}

%token <s> IDENT "identifier"
%token <i> INT "integer"
%token <f> FLOAT "number"
%token <str> STRING "string"
%token ARCH "arch" HPARAM "hparam" LET "let" META "meta" WEIGHT "weight"
%token OPTIONAL "optional" FN "fn" GRAPH "graph" FOR "for" IN "in" IF "if" ELSE "else"
%token RETURN "return" DEFAULT "default" ASSERT "assert"
%token AND "and" OR "or" NOT "not" TRUE "true" FALSE "false"
%token DOTDOT ".." EQ "==" NE "!=" LE "<=" GE ">="
%token LEX_ERROR "lexical error"

%type <expr> expr postfix primary dim fallback_opt default_opt
%type <stmt> stmt if_stmt else_part
%type <stmts> stmts
%type <block> block
%type <args> args args_opt
%type <arg> arg
%type <exprs> expr_list dims
%type <idents> ident_list params_opt index_params_opt
%type <keys> key_list
%type <types> type type_union
%type <s> dtype_opt
%type <flag> optional_opt

%right '?' ':'
%left OR
%left AND
%precedence NOT
%nonassoc EQ NE '<' LE '>' GE
%left '+' '-'
%left '*' '/' '%'
%precedence UMINUS

%%

program
  : decls
  ;

decls
  : %empty
  | decls decl
  ;

decl
  : ARCH IDENT {
      arch_decl *d = arch_decl_new(ps->prog, AD_ARCH, LOC(@1));
      d->name = $2;
      d->name_loc = LOC(@2);
      add_decl(ps, d);
    }
  | HPARAM IDENT ':' type_union '=' key_list default_opt {
      arch_decl *d = arch_decl_new(ps->prog, AD_HPARAM, LOC(@1));
      d->name = $2;
      d->name_loc = LOC(@2);
      d->types = $4;
      d->keys = $6.head;
      d->dflt = $7;
      add_decl(ps, d);
    }
  | LET IDENT '=' expr {
      arch_decl *d = arch_decl_new(ps->prog, AD_LET, LOC(@1));
      d->name = $2;
      d->name_loc = LOC(@2);
      d->e = $4;
      add_decl(ps, d);
    }
  | META IDENT '=' expr {
      arch_decl *d = arch_decl_new(ps->prog, AD_META, LOC(@1));
      d->name = $2;
      d->name_loc = LOC(@2);
      d->e = $4;
      add_decl(ps, d);
    }
  | optional_opt WEIGHT IDENT index_params_opt '=' STRING ':' dtype_opt '[' dims ']' fallback_opt {
      arch_decl *d = arch_decl_new(ps->prog, AD_WEIGHT, $1 ? LOC(@1) : LOC(@2));
      d->optional = $1;
      d->name = $3;
      d->name_loc = LOC(@3);
      d->params = $4.head;
      d->n_params = $4.n;
      d->pattern = $6;
      d->dtype = $8;
      d->dtype_loc = LOC(@8);
      d->dims = $10.head;
      d->fallback = $12;
      add_decl(ps, d);
    }
  | FN IDENT '(' params_opt ')' '=' expr {
      arch_decl *d = arch_decl_new(ps->prog, AD_FN, LOC(@1));
      d->name = $2;
      d->name_loc = LOC(@2);
      d->params = $4.head;
      d->n_params = $4.n;
      d->e = $7;
      add_decl(ps, d);
    }
  | FN IDENT '(' params_opt ')' block {
      arch_decl *d = arch_decl_new(ps->prog, AD_FN, LOC(@1));
      d->name = $2;
      d->name_loc = LOC(@2);
      d->params = $4.head;
      d->n_params = $4.n;
      d->body = $6.body;
      d->end_loc = $6.end;
      add_decl(ps, d);
    }
  | GRAPH IDENT '(' params_opt ')' block {
      arch_decl *d = arch_decl_new(ps->prog, AD_GRAPH, LOC(@1));
      d->name = $2;
      d->name_loc = LOC(@2);
      d->params = $4.head;
      d->n_params = $4.n;
      d->body = $6.body;
      d->end_loc = $6.end;
      add_decl(ps, d);
    }
  | ASSERT expr ',' STRING {
      arch_decl *d = arch_decl_new(ps->prog, AD_ASSERT, LOC(@1));
      d->e = $2;
      d->message = $4;
      add_decl(ps, d);
    }
  ;

optional_opt
  : %empty   { $$ = 0; }
  | OPTIONAL { $$ = 1; }
  ;

type_union
  : type                { $$ = $1; }
  | type_union '|' type { $$ = $1 | $3; }
  ;

type
  : IDENT         { if (!type_bit(ps, $1, false, LOC(@1), &$$)) YYABORT; }
  | IDENT '[' ']' { if (!type_bit(ps, $1, true, LOC(@1), &$$)) YYABORT; }
  ;

key_list
  : STRING {
      arch_keylist *k = arch_alloc(ps->prog, sizeof *k);
      k->key = $1;
      $$.head = $$.tail = k;
    }
  | key_list OR STRING {
      arch_keylist *k = arch_alloc(ps->prog, sizeof *k);
      k->key = $3;
      $1.tail->next = k;
      $$.head = $1.head;
      $$.tail = k;
    }
  ;

default_opt
  : %empty       { $$ = NULL; }
  | DEFAULT expr { $$ = $2; }
  ;

index_params_opt
  : %empty             { $$.head = $$.tail = NULL; $$.n = 0; }
  | '[' ident_list ']' { $$ = $2; }
  ;

params_opt
  : %empty     { $$.head = $$.tail = NULL; $$.n = 0; }
  | ident_list { $$ = $1; }
  ;

ident_list
  : IDENT {
      arch_ident *id = arch_alloc(ps->prog, sizeof *id);
      id->name = $1;
      id->loc = LOC(@1);
      $$.head = $$.tail = id;
      $$.n = 1;
    }
  | ident_list ',' IDENT {
      arch_ident *id = arch_alloc(ps->prog, sizeof *id);
      id->name = $3;
      id->loc = LOC(@3);
      $1.tail->next = id;
      $$.head = $1.head;
      $$.tail = id;
      $$.n = $1.n + 1;
    }
  ;

dtype_opt
  : %empty { $$ = NULL; }
  | IDENT  { $$ = $1; }
  ;

dims
  : dim          { $$.head = $$.tail = $1; }
  | dims ',' dim { $1.tail->next = $3; $$.head = $1.head; $$.tail = $3; }
  ;

dim
  : expr {
      $$ = $1;
      if ($1->kind == AE_IDENT && !strcmp($1->name, "_"))
        $1->kind = AE_WILDCARD;
    }
  ;

fallback_opt
  : %empty  { $$ = NULL; }
  | OR expr { $$ = $2; }
  ;

block
  : '{' stmts '}' { $$.body = $2.head; $$.end = LOC(@3); }
  ;

stmts
  : %empty     { $$.head = $$.tail = NULL; }
  | stmts stmt {
      if ($1.tail)
        $1.tail->next = $2;
      else
        $1.head = $2;
      $$.head = $1.head;
      $$.tail = $2;
    }
  ;

stmt
  : IDENT '=' expr {
      $$ = arch_stmt_new(ps->prog, AS_ASSIGN, LOC(@1));
      $$->name = $1;
      $$->name_loc = LOC(@1);
      $$->e = $3;
    }
  | FOR IDENT IN expr DOTDOT expr block {
      $$ = arch_stmt_new(ps->prog, AS_FOR, LOC(@1));
      $$->name = $2;
      $$->name_loc = LOC(@2);
      $$->e = $4;
      $$->e2 = $6;
      $$->body = $7.body;
      $$->end_loc = $7.end;
    }
  | if_stmt { $$ = $1; }
  | RETURN expr {
      $$ = arch_stmt_new(ps->prog, AS_RETURN, LOC(@1));
      $$->e = $2;
    }
  | ASSERT expr ',' STRING {
      $$ = arch_stmt_new(ps->prog, AS_ASSERT, LOC(@1));
      $$->e = $2;
      $$->message = $4;
    }
  ;

if_stmt
  : IF expr block else_part {
      $$ = arch_stmt_new(ps->prog, AS_IF, LOC(@1));
      $$->e = $2;
      $$->body = $3.body;
      $$->end_loc = $3.end;
      $$->else_body = $4;
    }
  ;

else_part
  : %empty       { $$ = NULL; }
  | ELSE block   {
      /* An else block is kept as a statement list; an empty one as NULL. */
      $$ = $2.body;
    }
  | ELSE if_stmt { $$ = $2; }
  ;

expr
  : expr '?' expr ':' expr {
      $$ = arch_expr_new(ps->prog, AE_COND, LOC(@2));
      $$->a = $1;
      $$->b2 = $3;
      $$->c = $5;
    }
  | expr OR expr  { $$ = binary(ps, AOP_OR, $1, $3, LOC(@2)); }
  | expr AND expr { $$ = binary(ps, AOP_AND, $1, $3, LOC(@2)); }
  | NOT expr {
      $$ = arch_expr_new(ps->prog, AE_UNARY, LOC(@1));
      $$->op = AOP_NOT;
      $$->a = $2;
    }
  | expr EQ expr  { $$ = binary(ps, AOP_EQ, $1, $3, LOC(@2)); }
  | expr NE expr  { $$ = binary(ps, AOP_NE, $1, $3, LOC(@2)); }
  | expr '<' expr { $$ = binary(ps, '<', $1, $3, LOC(@2)); }
  | expr LE expr  { $$ = binary(ps, AOP_LE, $1, $3, LOC(@2)); }
  | expr '>' expr { $$ = binary(ps, '>', $1, $3, LOC(@2)); }
  | expr GE expr  { $$ = binary(ps, AOP_GE, $1, $3, LOC(@2)); }
  | expr '+' expr { $$ = binary(ps, '+', $1, $3, LOC(@2)); }
  | expr '-' expr { $$ = binary(ps, '-', $1, $3, LOC(@2)); }
  | expr '*' expr { $$ = binary(ps, '*', $1, $3, LOC(@2)); }
  | expr '/' expr { $$ = binary(ps, '/', $1, $3, LOC(@2)); }
  | expr '%' expr { $$ = binary(ps, '%', $1, $3, LOC(@2)); }
  | '-' expr %prec UMINUS {
      $$ = arch_expr_new(ps->prog, AE_UNARY, LOC(@1));
      $$->op = '-';
      $$->a = $2;
    }
  | postfix { $$ = $1; }
  ;

postfix
  : primary { $$ = $1; }
  | postfix '[' expr_list ']' {
      $$ = arch_expr_new(ps->prog, AE_INDEX, LOC(@2));
      $$->a = $1;
      $$->index = $3.head;
    }
  | IDENT '(' args_opt ')' {
      $$ = arch_expr_new(ps->prog, AE_CALL, LOC(@1));
      $$->name = $1;
      $$->args = $3.head;
    }
  ;

primary
  : INT {
      $$ = arch_expr_new(ps->prog, AE_INT, LOC(@1));
      $$->i = $1;
    }
  | FLOAT {
      $$ = arch_expr_new(ps->prog, AE_FLOAT, LOC(@1));
      $$->f = $1;
    }
  | STRING {
      $$ = arch_expr_new(ps->prog, AE_STR, LOC(@1));
      $$->str = $1;
    }
  | TRUE {
      $$ = arch_expr_new(ps->prog, AE_BOOL, LOC(@1));
      $$->b = true;
    }
  | FALSE {
      $$ = arch_expr_new(ps->prog, AE_BOOL, LOC(@1));
      $$->b = false;
    }
  | IDENT {
      $$ = arch_expr_new(ps->prog, AE_IDENT, LOC(@1));
      $$->name = $1;
    }
  | '(' expr ')' { $$ = $2; }
  ;

expr_list
  : expr               { $$.head = $$.tail = $1; }
  | expr_list ',' expr { $1.tail->next = $3; $$.head = $1.head; $$.tail = $3; }
  ;

args_opt
  : %empty { $$.head = $$.tail = NULL; }
  | args   { $$ = $1; }
  ;

args
  : arg          { $$.head = $$.tail = $1; }
  | args ',' arg { $1.tail->next = $3; $$.head = $1.head; $$.tail = $3; }
  ;

arg
  : expr {
      $$ = arch_alloc(ps->prog, sizeof *$$);
      $$->value = $1;
      $$->loc = $1->loc;
    }
  | IDENT '=' expr {
      $$ = arch_alloc(ps->prog, sizeof *$$);
      $$->name = $1;
      $$->value = $3;
      $$->loc = LOC(@1);
    }
  ;

%%

/* Token names for messages: keywords and punctuation quoted, classes plain. */
static void token_name(yysymbol_kind_t sym, char *buf, size_t size) {
  const char *name = yysymbol_name(sym);
  static const char *classes[] = {"identifier", "integer", "number", "string", "end of file",
                                  "lexical error"};
  for (size_t k = 0; k < sizeof classes / sizeof classes[0]; k++)
    if (!strcmp(name, classes[k])) {
      snprintf(buf, size, "%s", name);
      return;
    }
  size_t n = strlen(name);
  if (n >= 2 && (name[0] == '"' || name[0] == '\'')) /* "arch" or '(' */
    snprintf(buf, size, "'%.*s'", (int)(n - 2), name + 1);
  else
    snprintf(buf, size, "'%s'", name);
}

/* Binary operators and other continuations of an expression. */
static bool is_operator(yysymbol_kind_t sym) {
  static const char *ops[] = {"'+'", "'-'", "'*'", "'/'", "'%'", "'<'",  "'>'", "'?'",
                              "'['", "'('", "<=",  ">=",  "==",  "!=",   "and", "or"};
  const char *name = yysymbol_name(sym);
  for (size_t k = 0; k < sizeof ops / sizeof ops[0]; k++) {
    size_t n = strlen(ops[k]);
    if (!strcmp(name, ops[k]) || (name[0] == '"' && strlen(name) == n + 2 &&
                                  !strncmp(name + 1, ops[k], n)))
      return true;
  }
  return false;
}

static bool is_expression_start(yysymbol_kind_t sym) {
  switch (sym) {
  case YYSYMBOL_IDENT:
  case YYSYMBOL_INT:
  case YYSYMBOL_FLOAT:
  case YYSYMBOL_STRING:
  case YYSYMBOL_TRUE:
  case YYSYMBOL_FALSE:
  case YYSYMBOL_NOT:
    return true;
  default: /* '(' and '-' */
    return !strcmp(yysymbol_name(sym), "'('") || !strcmp(yysymbol_name(sym), "'-'");
  }
}

static int yyreport_syntax_error(const yypcontext_t *ctx, yyscan_t scanner, arch_parse_state *ps) {
  (void)scanner;
  if (ps->diag->failed) /* the scanner already reported a lexical error */
    return 0;
  yysymbol_kind_t got = yypcontext_token(ctx);
  char what[96];
  if (got == YYSYMBOL_YYEOF)
    snprintf(what, sizeof what, "end of file");
  else if (got == YYSYMBOL_IDENT)
    snprintf(what, sizeof what, "identifier '%s'", ps->last_text);
  else if (got == YYSYMBOL_INT || got == YYSYMBOL_FLOAT)
    snprintf(what, sizeof what, "number %s", ps->last_text);
  else if (got == YYSYMBOL_STRING)
    snprintf(what, sizeof what, "string %s", ps->last_text);
  else
    token_name(got, what, sizeof what);

  enum { MAX_EXPECTED = 32 };
  yysymbol_kind_t expected[MAX_EXPECTED];
  int n = yypcontext_expected_tokens(ctx, expected, MAX_EXPECTED);
  /* Collapse the tokens that start an expression into "an expression". */
  bool wants_expr = false;
  for (int k = 0; k < n; k++)
    wants_expr |= expected[k] == YYSYMBOL_INT || expected[k] == YYSYMBOL_NOT;
  const char *items[MAX_EXPECTED + 1];
  char names[MAX_EXPECTED][48];
  int n_items = 0;
  bool operators = false;
  if (wants_expr)
    items[n_items++] = "an expression";
  for (int k = 0; k < n; k++) {
    if (expected[k] == YYSYMBOL_YYEOF || expected[k] == YYSYMBOL_YYUNDEF)
      continue;
    if (wants_expr && is_expression_start(expected[k]))
      continue;
    if (!wants_expr && is_operator(expected[k])) {
      operators = true;
      continue;
    }
    token_name(expected[k], names[n_items], sizeof names[n_items]);
    items[n_items] = names[n_items];
    n_items++;
  }
  if (operators)
    items[n_items++] = "an operator";
  char list[400] = "";
  size_t len = 0;
  for (int k = 0; k < n_items && n_items <= 6; k++) {
    const char *sep = k == 0 ? "" : k == n_items - 1 ? " or " : ", ";
    if (len < sizeof list)
      len += (size_t)snprintf(list + len, sizeof list - len, "%s%s", sep, items[k]);
  }
  const ARCH_YYLTYPE *loc = yypcontext_location(ctx);
  if (got == YYSYMBOL_YYUNDEF || !strcmp(yysymbol_name(got), "'='"))
    if (operators) { /* `if x = 3 {` */
      arch_error(ps->prog, LOC(*loc), ps->diag, "unexpected '=' (write '==' to compare)");
      return 0;
    }
  if (n_items > 0 && n_items <= 6)
    arch_error(ps->prog, LOC(*loc), ps->diag, "unexpected %s, expected %s", what, list);
  else
    arch_error(ps->prog, LOC(*loc), ps->diag, "unexpected %s", what);
  return 0;
}

arch_program *arch_parse(const char *text, size_t len, const char *file, gqc_diag *d) {
  arch_program *p = arch_program_new(file);
  arch_parse_state ps = {.prog = p, .diag = d, .decl_tail = &p->decls};
  yyscan_t scanner;
  if (arch_yylex_init_extra(&ps, &scanner)) {
    arch_error(p, (arch_loc){0, 0}, d, "cannot initialise the scanner");
    arch_program_free(p);
    return NULL;
  }
  YY_BUFFER_STATE buf = arch_yy_scan_bytes(text, (int)len, scanner);
  int rc = arch_yyparse(scanner, &ps);
  arch_yy_delete_buffer(buf, scanner);
  arch_yylex_destroy(scanner);
  if (rc != 0 || d->failed) {
    if (!d->failed)
      arch_error(p, (arch_loc){0, 0}, d, "cannot parse the description");
    arch_program_free(p);
    return NULL;
  }
  arch_program_index(p);
  return p;
}
