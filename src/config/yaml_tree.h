/*
 * A pipeline file as a small, bounded tree of YAML nodes: the first stage of
 * a load, and the only code that sees libyaml.
 *
 * Bounds (SPEC 5): a file over 1 MiB is refused before libyaml reads a byte;
 * anchors, aliases, tags, nesting deeper than 64, more than 100,000 nodes,
 * duplicate keys and a second document are refused as the events arrive.
 * Nothing is ever expanded, so a "billion laughs" file has nothing to
 * multiply.
 *
 * Internal to config/ (the loader's first stage); nothing outside includes it.
 *
 * Ownership: ytree_load() hands the caller a tree it frees with ytree_free();
 * scalar texts are wiped on free (the file may hold the API key).
 */
#ifndef CLOUTLY_YAML_TREE_H
#define CLOUTLY_YAML_TREE_H

#include <stdbool.h>
#include <stddef.h>

#include "core/error.h"

#define YTREE_MAX_FILE_BYTES (1024 * 1024) /* bigger pipeline files are refused */
#define YTREE_MAX_DEPTH      64            /* deeper nesting is refused */
#define YTREE_MAX_NODES      100000        /* a real pipeline has a few hundred */

enum ytype { Y_SCALAR, Y_SEQ, Y_MAP };

/* One YAML node, as parsed: no tags, no anchors, keys always scalars. */
struct ynode {
    enum ytype type;
    int line, col;       /* 1-based position of the node's first character; 0 = none */
    bool plain;          /* an unquoted scalar: the only kind that can mean null */
    char *text;          /* Y_SCALAR: the text, NUL-free */
    struct ynode **kids; /* Y_SEQ: items; Y_MAP: key, value, key, value, ... */
    size_t n, cap;       /* kids used, allocated */
};

/*
 * Read and parse `file`. 0 and *root (NULL for an empty file) on success;
 * -1 with `err` on failure: CP_EXIT_INPUT when the file cannot be read,
 * CP_EXIT_USAGE (FILE:LINE:COL: ...) when it is not a YAML file we accept.
 */
int ytree_load(const char *file, struct ynode **root, struct cp_error *err);

/* Free a tree (NULL is fine). */
void ytree_free(struct ynode *n);

/* A plain scalar that YAML reads as null: "", ~, null, Null, NULL. */
bool ynode_is_null(const struct ynode *n);

/* "a list", "a mapping", "null" or "a string", for wrong-type messages. */
const char *ynode_type_name(const struct ynode *n);

/* The key node / value node of `key` in mapping `map`; NULL when absent or
 * when `map` is not a mapping. */
const struct ynode *ynode_map_key(const struct ynode *map, const char *key);
const struct ynode *ynode_map_value(const struct ynode *map, const char *key);

#endif
