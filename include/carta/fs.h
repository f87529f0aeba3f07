/* carta/fs.h: paths, whole-file reads and all-or-nothing writes. */
#ifndef CARTA_FS_H
#define CARTA_FS_H

#include <stddef.h>
#include <stdio.h>
#include <carta/error.h>

/* Joins a relative path to base_dir ("" or NULL = current folder); an absolute rel is returned
   as is. The result is newly allocated (carta_free). NULL when out of memory. */
char *carta_path_resolve(const char *base_dir, const char *rel);

/* The folder part of path ("." when there is none); newly allocated, NULL when out of memory. */
char *carta_path_dirname(const char *path);

/* The last component of path (a pointer into path). */
const char *carta_path_basename(const char *path);

/* Reads a whole file into a NUL-terminated buffer (*out, carta_free; *len without the NUL).
   shown is the name used in messages. CARTA_EIO when it cannot be read, CARTA_ENOMEM. */
int carta_file_read(const char *path, const char *shown, char **out, size_t *len, carta_error *err);

/* An output file written all or nothing: carta_out_open creates "path.tmp" beside path,
   carta_out_commit flushes, closes and renames it over path; carta_out_abort removes it.
   Without force, an existing path is a CARTA_EIO error before anything is written. */
typedef struct carta_out {
    FILE *fp;
    char *path;
    char *tmp;
} carta_out;

int  carta_out_open(carta_out *o, const char *path, int force, carta_error *err);
int  carta_out_commit(carta_out *o, carta_error *err);
void carta_out_abort(carta_out *o);

/* Writes len bytes to path through carta_out (all or nothing). */
int carta_file_write(const char *path, const void *data, size_t len, int force, carta_error *err);

/* 1 when path exists (any type), else 0. */
int carta_path_exists(const char *path);

#endif

/* An output folder written all or nothing: carta_outdir_open makes an empty temporary folder
   beside path ("path.tmp-<pid>"; missing parent folders are created), the caller fills it (o->tmp), and carta_outdir_commit renames
   it into place. An existing path is refused without force; with force, the old folder is
   moved aside and removed only after the new one is in place. carta_outdir_abort removes the
   temporary folder and everything in it. */
typedef struct carta_outdir {
    char *path;
    char *tmp;
    int force;
} carta_outdir;

int  carta_outdir_open(carta_outdir *o, const char *path, int force, carta_error *err);
int  carta_outdir_commit(carta_outdir *o, carta_error *err);
void carta_outdir_abort(carta_outdir *o);

/* Creates the missing parent folders of path (not path itself). 0 on success, -1 with errno. */
int carta_mkdir_parents(const char *path);

/* Removes a folder and everything below it (no links followed). 0 on success. */
int carta_remove_tree(const char *path);
