/* carta/xpt.h: SAS files (XPORT v5/v8 transport files and SAS7BDAT data sets) into a carta_table,
   through ReadStat (src/load/xpt.c is the only file that includes <readstat.h>).

   Type mapping (every column keeps the SAS label as its label and the SAS format, written as SAS
   writes it with a trailing dot, e.g. "DATE9.", "$12.", "8.2", as its format):
     character                              -> CARTA_STR; trailing blanks removed (SAS pads). A
                                               blank value is the empty string "", never missing:
                                               SAS cannot tell a blank from a missing character
                                               value, and Dataset-JSON writers emit "" for it.
     numeric with a date format             -> CARTA_DATE, days since 1970-01-01 (SAS day 0 is
       (DATE, E8601DA, MMDDYY, YYMMDD, ...)     1960-01-01: SAS value - 3653); a fractional day is
                                               floored, as SAS's date formats display it.
     numeric with a datetime format         -> CARTA_F64, seconds since 1970-01-01T00:00:00 (SAS
       (DATETIME, E8601DT, DTDATE, ...)        value - 315619200); the format stays on the column.
     numeric with a time format             -> CARTA_F64, seconds since midnight, unchanged.
       (TIME, TOD, HHMM, E8601TM, ...)
     any other numeric                      -> CARTA_F64 (also integers, so that XPT and
                                               Dataset-JSON copies of a table compare equal).
   Missing numerics (".", and the special missing values .A-.Z and ._) are missing.
   Strings are UTF-8. SAS7BDAT files name their encoding and ReadStat converts to UTF-8. XPORT
   files carry no encoding: a value that is valid UTF-8 (ASCII included) is kept as is, any other
   value is read as WINDOWS-1252 (the SAS default on Windows, a superset of Latin-1's printable
   range) and converted. */
#ifndef CARTA_XPT_H
#define CARTA_XPT_H

#include <carta/error.h>
#include <carta/table.h>

/* Reads the SAS transport (XPORT) file at path into a new table (*out; free with
   carta_table_free). shown is the file name used in messages and as the table's source (for
   example the path as written in the config); NULL means path. The file must hold exactly one
   data set (member), as FDA submission files do.
   Errors: CARTA_EIO when the file cannot be opened or read (missing, unreadable, a folder);
   CARTA_EDATA when it is empty, not an XPORT file (a CSV or JSON renamed .xpt, a SAS7BDAT file;
   the message says which), truncated (mid-header, or mid-row: detected from the 80-byte record
   structure), holds several members, or has a value carta cannot represent (a date beyond
   +-1e15 days); CARTA_ENOMEM. The error names the file, and the row and column where one applies.
   A file cut exactly at a row boundary that is also a multiple of 80 bytes cannot be told from a
   complete one: XPORT stores no row count. *out is set only on success. */
int carta_xpt_read(const char *path, const char *shown, carta_table **out, carta_error *err);

/* Reads the SAS7BDAT data set at path into a new table, with the same type mapping, ownership
   and errors as carta_xpt_read (an XPORT file given here is a CARTA_EDATA error that says so).
   Compressed (RLE/RDC) data sets are read; ReadStat checks the row count the header states, so
   a truncated file is a CARTA_EDATA error. */
int carta_sas7bdat_read(const char *path, const char *shown, carta_table **out, carta_error *err);

/* Writes table t as a SAS XPORT v5 file at path through ReadStat (src/load/xpt_write.c), all or
   nothing (a temporary file renamed into place; force allows replacing path). member names the
   data set (at most 8 characters, as XPORT v5 requires; so must every column name). Numbers are
   doubles, dates SAS dates (days since 1960-01-01) with format DATE9., text columns are as wide
   as their longest value (at most 200 bytes); missing values are SAS missing ('.' and ""). Labels
   are kept. CARTA_EDATA for a name or value XPORT v5 cannot hold; CARTA_EIO; CARTA_EDEP for a
   ReadStat error; CARTA_ENOMEM. */
int carta_xpt_write(const carta_table *t, const char *path, const char *member, int force, carta_error *err);

#endif
