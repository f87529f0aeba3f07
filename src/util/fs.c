/* Files: paths resolved from the config's folder, and outputs written to a temporary name and
   renamed, so a failure never leaves a half-written result behind. */
#define _POSIX_C_SOURCE 200809L
#include <carta/fs.h>
#include <carta/alloc.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

char *carta_path_resolve(const char *base_dir, const char *rel)
{
    if (!rel) return NULL;
    if (rel[0] == '/' || !base_dir || !base_dir[0] || strcmp(base_dir, ".") == 0)
        return carta_strdup(rel);
    size_t a = strlen(base_dir), b = strlen(rel);
    char *p = carta_malloc(a + b + 2);
    if (!p) return NULL;
    memcpy(p, base_dir, a);
    size_t k = a;
    if (a > 0 && base_dir[a - 1] != '/') p[k++] = '/';
    memcpy(p + k, rel, b + 1);
    return p;
}

char *carta_path_dirname(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash) return carta_strdup(".");
    if (slash == path) return carta_strdup("/");
    return carta_strndup(path, (size_t)(slash - path));
}

const char *carta_path_basename(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

int carta_path_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

int carta_file_read(const char *path, const char *shown, char **out, size_t *len, carta_error *err)
{
    carta_where at = { .file = shown ? shown : path };
    *out = NULL;
    FILE *fp = fopen(path, "rb");
    if (!fp) return carta_error_set(err, CARTA_EIO, &at, "cannot open: %s", strerror(errno));
    size_t cap = 1 << 16, n = 0;
    char *buf = carta_malloc(cap);
    if (!buf) { fclose(fp); return carta_error_set(err, CARTA_ENOMEM, &at, "no memory to read the file"); }
    for (;;) {
        if (n + 1 >= cap) {
            char *nb = carta_realloc(buf, cap * 2);
            if (!nb) {
                carta_free(buf);
                fclose(fp);
                return carta_error_set(err, CARTA_ENOMEM, &at, "no memory to read the file");
            }
            buf = nb;
            cap *= 2;
        }
        size_t k = fread(buf + n, 1, cap - n - 1, fp);
        n += k;
        if (k == 0) break;
    }
    int bad = ferror(fp);
    fclose(fp);
    if (bad) {
        carta_free(buf);
        return carta_error_set(err, CARTA_EIO, &at, "read failed");
    }
    buf[n] = '\0';
    *out = buf;
    if (len) *len = n;
    return CARTA_OK;
}

int carta_out_open(carta_out *o, const char *path, int force, carta_error *err)
{
    carta_where at = { .file = path };
    memset(o, 0, sizeof *o);
    if (!force && carta_path_exists(path))
        return carta_error_set(err, CARTA_EIO, &at, "already exists (use --force to overwrite)");
    size_t k = strlen(path);
    o->path = carta_strdup(path);
    o->tmp = carta_malloc(k + 5);
    if (!o->path || !o->tmp) {
        carta_out_abort(o);
        return carta_error_set(err, CARTA_ENOMEM, &at, "no memory");
    }
    memcpy(o->tmp, path, k);
    memcpy(o->tmp + k, ".tmp", 5);
    o->fp = fopen(o->tmp, "wb");
    if (!o->fp) {
        int e = errno;
        carta_out_abort(o);
        return carta_error_set(err, CARTA_EIO, &at, "cannot write: %s", strerror(e));
    }
    return CARTA_OK;
}

void carta_out_abort(carta_out *o)
{
    if (o->fp) fclose(o->fp);
    if (o->tmp) remove(o->tmp);
    carta_free(o->tmp);
    carta_free(o->path);
    memset(o, 0, sizeof *o);
}

int carta_out_commit(carta_out *o, carta_error *err)
{
    carta_where at = { .file = o->path };
    int bad = ferror(o->fp) || fflush(o->fp) != 0;
    if (!bad) bad = fsync(fileno(o->fp)) != 0 && errno != EINVAL;
    int e = errno;
    if (fclose(o->fp) != 0 && !bad) { bad = 1; e = errno; }
    o->fp = NULL;
    if (bad) {
        int rc = carta_error_set(err, CARTA_EIO, &at, "write failed: %s", strerror(e));
        carta_out_abort(o);
        return rc;
    }
    if (rename(o->tmp, o->path) != 0) {
        int rc = carta_error_set(err, CARTA_EIO, &at, "cannot rename into place: %s", strerror(errno));
        carta_out_abort(o);
        return rc;
    }
    carta_free(o->tmp);
    carta_free(o->path);
    memset(o, 0, sizeof *o);
    return CARTA_OK;
}

int carta_file_write(const char *path, const void *data, size_t len, int force, carta_error *err)
{
    carta_out o;
    int rc = carta_out_open(&o, path, force, err);
    if (rc) return rc;
    if (len && fwrite(data, 1, len, o.fp) != len) {
        carta_where at = { .file = path };
        rc = carta_error_set(err, CARTA_EIO, &at, "write failed: %s", strerror(errno));
        carta_out_abort(&o);
        return rc;
    }
    return carta_out_commit(&o, err);
}

#include <dirent.h>
#include <stdlib.h>

int carta_remove_tree(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0) return errno == ENOENT ? 0 : -1;
    if (!S_ISDIR(st.st_mode)) return unlink(path);
    DIR *d = opendir(path);
    if (!d) return -1;
    struct dirent *e;
    int rc = 0;
    while ((e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        char *child = carta_path_resolve(path, e->d_name);
        if (!child) { rc = -1; break; }
        if (carta_remove_tree(child) != 0) rc = -1;
        carta_free(child);
    }
    closedir(d);
    if (rmdir(path) != 0) rc = -1;
    return rc;
}

int carta_mkdir_parents(const char *path)
{
    char *buf = carta_strdup(path);
    if (!buf) return -1;
    int rc = 0;
    for (char *p = buf + 1; *p && !rc; p++) {
        if (*p != '/') continue;
        *p = '\0';
        if (mkdir(buf, 0777) != 0 && errno != EEXIST) rc = -1;
        *p = '/';
    }
    carta_free(buf);
    return rc;
}

int carta_outdir_open(carta_outdir *o, const char *path, int force, carta_error *err)
{
    carta_where at = { .file = path };
    memset(o, 0, sizeof *o);
    if (!force && carta_path_exists(path))
        return carta_error_set(err, CARTA_EIO, &at, "already exists (use --force to overwrite)");
    size_t k = strlen(path);
    while (k > 1 && path[k - 1] == '/') k--;
    o->path = carta_strndup(path, k);
    o->tmp = carta_malloc(k + 32);
    if (!o->path || !o->tmp) {
        carta_outdir_abort(o);
        return carta_error_set(err, CARTA_ENOMEM, &at, "no memory");
    }
    snprintf(o->tmp, k + 32, "%s.tmp-%ld", o->path, (long)getpid());
    carta_remove_tree(o->tmp); /* a leftover of a killed run with the same pid */
    if (carta_mkdir_parents(o->tmp) != 0 || mkdir(o->tmp, 0777) != 0) {
        int e = errno;
        carta_free(o->tmp);
        o->tmp = NULL;
        carta_outdir_abort(o);
        return carta_error_set(err, CARTA_EIO, &at, "cannot create a folder beside it: %s", strerror(e));
    }
    o->force = force;
    return CARTA_OK;
}

void carta_outdir_abort(carta_outdir *o)
{
    if (o->tmp) carta_remove_tree(o->tmp);
    carta_free(o->tmp);
    carta_free(o->path);
    memset(o, 0, sizeof *o);
}

int carta_outdir_commit(carta_outdir *o, carta_error *err)
{
    carta_where at = { .file = o->path };
    char *old = NULL;
    int rc = CARTA_OK;
    if (carta_path_exists(o->path)) {
        if (!o->force) {
            rc = carta_error_set(err, CARTA_EIO, &at, "already exists (use --force to overwrite)");
            carta_outdir_abort(o);
            return rc;
        }
        size_t k = strlen(o->path) + 32;
        old = carta_malloc(k);
        if (!old) {
            carta_outdir_abort(o);
            return carta_error_set(err, CARTA_ENOMEM, &at, "no memory");
        }
        snprintf(old, k, "%s.old-%ld", o->path, (long)getpid());
        carta_remove_tree(old);
        if (rename(o->path, old) != 0) {
            rc = carta_error_set(err, CARTA_EIO, &at, "cannot move the old results aside: %s", strerror(errno));
            carta_free(old);
            carta_outdir_abort(o);
            return rc;
        }
    }
    if (rename(o->tmp, o->path) != 0) {
        rc = carta_error_set(err, CARTA_EIO, &at, "cannot rename into place: %s", strerror(errno));
        if (old) rename(old, o->path); /* put the old results back */
        carta_free(old);
        carta_outdir_abort(o);
        return rc;
    }
    if (old) carta_remove_tree(old);
    carta_free(old);
    carta_free(o->tmp);
    carta_free(o->path);
    memset(o, 0, sizeof *o);
    return CARTA_OK;
}
