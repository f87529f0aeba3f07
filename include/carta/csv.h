/* carta/csv.h: CSV files (RFC 4180) into a carta_table, streaming, on several threads.

   Format accepted:
   - UTF-8 text, with or without a byte-order mark (EF BB BF, removed). Any byte sequence that is
     not valid UTF-8, and any NUL byte, is an error.
   - Records end in LF or CRLF; a CR not followed by LF outside quotes is an error. Line ends
     after the last record are ignored; an empty line elsewhere is a record with one empty field
     (a ragged row unless the table has one column).
   - The first record is the header: one non-empty, distinct column name per field (names are
     taken verbatim, without trimming). At least one data row must follow it.
   - Fields are separated by options.sep (default ','). A field may be quoted with '"'; inside
     quotes the separator, CR and LF are ordinary characters and '""' stands for one '"'. A quote
     inside an unquoted field, or anything but a separator or a line end after a closing quote,
     is an error (RFC 4180 section 2.5-2.7): this strictness is what lets the file be split
     between threads by counting quotes.
   - Every record has as many fields as the header.

   Missing values: a field whose content (after removing the enclosing quotes, so "" and NA and
   "NA" all count) equals one of the missing-value tokens is missing. The default tokens are the
   empty string, "NA" and ".". A string column therefore never holds "" under the defaults.

   Types: a column named in options.type_names gets the type given beside it; every other column
   is inferred from ALL its non-missing values (not a sample):
     integer (CARTA_I64)  all are integer literals [+-]digits in the int64 range ("-0" counts as
                          a number, not an integer, so that it keeps its sign);
     number  (CARTA_F64)  else, all are decimal literals [+-]digits[.digits][(e|E)[+-]digits]
                          (digits may be absent before or after the '.', not both), whose value
                          is finite;
     date    (CARTA_DATE) else, all are ISO dates YYYY-MM-DD (exactly 10 characters; days since
                          1970-01-01);
     string  (CARTA_STR)  otherwise, and for a column where every value is missing.
   Booleans are never inferred. Declared types accept:
     number    a decimal literal as above;
     integer   an integer literal in the int64 range ("-0" is 0);
     boolean   true/True/TRUE/1 and false/False/FALSE/0 (the Frictionless defaults);
     date      YYYY-MM-DD, optionally followed by a time part "Thh:mm[:ss]" which is dropped
               (carta_parse_date);
     string    the field content verbatim (UTF-8).
   Blanks (space, tab) around a number, integer, boolean or date are ignored, whether the type
   is declared or inferred; strings are kept verbatim. "NaN", "Inf" and hexadecimal floats are
   not numbers. Numbers are converted exactly as strtod does in the C locale (the correctly
   rounded double); a literal that overflows a double is not a number. (carta never calls
   setlocale; a program that embeds carta and sets LC_NUMERIC to a locale with another decimal
   point must restore "C" before reading.)

   Rows in messages: the header is row 1 and the first data row is row 2, as a spreadsheet shows
   the file; a row is a record, so a quoted field with line breaks does not shift the numbering.
   err->row holds the same number, err->field the column name.

   Threads: the file is split into pieces at record boundaries found by counting quotes, and the
   pieces are parsed in parallel straight into the table's column arrays. The result does not
   depend on the number of threads. String columns are dictionary-encoded in a second,
   single-threaded pass (codes in order of first appearance). Memory: the file is mapped
   read-only and released behind the parser, so the peak is about the size of the parsed
   columns (8 bytes per numeric cell, plus a missing bitmap), never a copy of the file. Worker
   threads do not allocate (so carta_alloc_fail_at, which is not thread-safe, still counts
   every allocation exactly). When a multi-threaded parse meets an error before the last piece,
   the file is parsed again on one thread so that the error is exactly the one a serial read
   reports (a stray quote can misplace the cuts after it). */
#ifndef CARTA_CSV_H
#define CARTA_CSV_H

#include <stddef.h>
#include <carta/error.h>
#include <carta/table.h>

typedef struct carta_csv_options {
    char sep;                      /* field separator; default ','. Must be ASCII and not '"',
                                      CR, LF, NUL, a digit or one of . + - e E. */
    const char *const *na;         /* missing-value tokens, NULL-terminated; NULL = the default
                                      {"", "NA", "."}. Borrowed for the call. */
    size_t n_types;                /* number of declared column types (0 = infer all) */
    const char *const *type_names; /* n_types column names (borrowed); a name absent from the
                                      file is ignored (checking for required columns is the
                                      validator's job); the first of duplicate names counts */
    const carta_type *types;       /* n_types types, beside type_names */
    int threads;                   /* worker threads; 0 = one per online core */
} carta_csv_options;

/* Fills o with the defaults: sep ',', default missing tokens, no declared types, threads 0. */
void carta_csv_options_default(carta_csv_options *o);

/* Reads the CSV file at path into a new table (*out, free with carta_table_free; its source is
   shown). shown is the file name used in messages, usually the path as written in the config;
   NULL means path. o may be NULL for the defaults.
   Errors (the message names the file, the row, the column and what was expected):
   CARTA_ECONFIG  bad options (separator, negative thread count);
   CARTA_EIO      the file cannot be opened, mapped or is a folder;
   CARTA_EDATA    an empty file; a header without data rows; an empty or duplicate column name;
                  a row with too few or too many fields (both counts given); an unterminated
                  quoted field (row and line where the quote opened); a stray quote; a CR
                  without LF; invalid UTF-8 or a NUL byte (with the byte offset in the file,
                  counting from 0); a value that is not of its declared type
                  ("adtte.csv:1043: column AVAL: \"12,5\" is not a number");
   CARTA_ENOMEM.
   *out is set only on success. The first error in file order is the one reported. */
int carta_csv_read(const char *path, const char *shown, const carta_csv_options *o, carta_table **out,
                   carta_error *err);

#endif
