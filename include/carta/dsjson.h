/* carta/dsjson.h: CDISC Dataset-JSON v1.1 (.json and .ndjson, plain or compressed) into a
   carta_table. src/load/dsjson.c is the only loader that includes <cjson/cJSON.h>.

   Type mapping, by each column's dataType (and targetDataType):
     string, URI                             -> CARTA_STR ("" is the empty string, null missing)
     integer                                 -> CARTA_F64 (a JSON number with an integral value;
                                                63.0 is accepted as 63)
     decimal (a JSON string, "12.50")        -> CARTA_F64 by strtod on the exact text; leading and
                                                trailing blanks are ignored, a blank string is
                                                missing, a JSON number is also accepted
     float, double                           -> CARTA_F64 (a JSON number)
     boolean                                 -> CARTA_BOOL (true/false)
     date with targetDataType                -> CARTA_DATE, days since 1970-01-01 ("YYYY-MM-DD")
     datetime with targetDataType            -> CARTA_F64, seconds since 1970-01-01T00:00:00
                                                ("YYYY-MM-DDThh:mm[:ss[.fff]]", no time zone)
     time with targetDataType                -> CARTA_F64, seconds since midnight
                                                ("hh:mm[:ss[.fff]]")
     date, datetime, time without a target   -> CARTA_STR, the ISO 8601 text as is (as SDTM
                                                --DTC variables are character in XPORT)
   null is missing in every column. The column's label is its "label", its format its
   "displayFormat". These are the same types carta_xpt_read gives for the same data set.

   Layout: the file is one JSON object (metadata, then "rows": an array of row arrays), or
   NDJSON (line 1 the metadata object, then one row array per line). Either may be compressed
   with gzip, zlib or raw DEFLATE (the .dsjc form): the reader looks at the bytes, not at the
   extension. Rows are parsed one at a time, so memory holds the table, the column metadata and
   one row (plus a 64 KiB read window, grown only for a single larger value). "columns" may follow "rows" in the object; those rows are
   then held as parsed JSON until the columns are known. When "records" is present it must equal
   the number of rows read, which catches an NDJSON file cut at a line boundary. Dataset-JSON
   1.0 files (rows under "clinicalData") are refused with a message saying so. */
#ifndef CARTA_DSJSON_H
#define CARTA_DSJSON_H

#include <carta/error.h>
#include <carta/table.h>

/* Reads the Dataset-JSON file at path into a new table (*out; free with carta_table_free).
   shown is the file name used in messages and as the table's source; NULL means path.
   Errors: CARTA_EIO when the file cannot be opened or read; CARTA_EDATA for an empty file,
   invalid JSON (the message gives line and column), a missing or malformed "columns" (naming
   the JSON pointer, e.g. /columns/3/dataType), a row with the wrong number of values or a value
   of the wrong type for its column (naming the row, the column and, for NDJSON, the line), a
   bad date, a corrupt or truncated compressed stream, a "records" count that does not match;
   CARTA_ENOMEM. *out is set only on success. */
int carta_dsjson_read(const char *path, const char *shown, carta_table **out, carta_error *err);

#endif
