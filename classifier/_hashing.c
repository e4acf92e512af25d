/* The hashed n-gram features of classifier/features.py, compiled.
 *
 * hash_texts() in features.py vectorizes a polynomial rolling hash with numpy;
 * for one short text (a request's comment) its cost is some fifty numpy calls,
 * not the arithmetic. This module computes the same numbers in one pass: the
 * same hash of every character window and word, the same salts and murmur3
 * finalizer, the same order of occurrences. features.py uses it when it was
 * built (setup.py; the build is optional) and keeps the numpy code as the
 * reference the tests compare it with, and as the fallback.
 *
 * All arithmetic is on uint64_t and wraps modulo 2**64, as numpy's does.
 * The hash of a substring is sum((code[b + k] + 1) * PRIME**k), k from 0: the
 * value numpy gets as (prefix[e] - prefix[b]) * PRIME**-b.
 *
 * Also here, for want of a better home: obfuscation_hints(), the guards of
 * text.py's obfuscation steps (cheap tests that a step's regex has something to
 * do) in one pass instead of five regex searches.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#define PRIME 0x100000001B3ULL
#define SALT_WORD 0x9E3779B97F4A7C15ULL
#define SALT_BIGRAM 0xC2B2AE3D27D4EB4FULL
#define SALT_CHAR 0x165667B19E3779F9ULL

static inline uint64_t mix(uint64_t h) {
    /* murmur3's 64-bit finalizer */
    h ^= h >> 33;
    h *= 0xFF51AFD7ED558CCDULL;
    h ^= h >> 33;
    h *= 0xC4CEB9FE1A85EC53ULL;
    return h ^ (h >> 33);
}

/* One text with a space on each side, read in place. */
typedef struct {
    int kind;
    const void *data;
    Py_ssize_t size; /* padded length: the text's + 2 */
    Py_ssize_t words;
} Padded;

static inline Py_UCS4 code_at(const Padded *p, Py_ssize_t i) {
    if (i == 0 || i == p->size - 1) {
        return ' ';
    }
    return PyUnicode_READ(p->kind, p->data, i - 1);
}

static inline int is_word_char(Py_UCS4 c) {
    /* str.isalnum() or "_": regex \w, as features._WORD_MASK has it */
    return c == '_' || Py_UNICODE_ISALNUM(c);
}

static inline uint64_t substring_hash(const Padded *p, Py_ssize_t begin, Py_ssize_t end) {
    uint64_t h = 0, power = 1;
    for (Py_ssize_t i = begin; i < end; i++) {
        h += ((uint64_t)code_at(p, i) + 1) * power;
        power *= PRIME;
    }
    return h;
}

static PyObject *new_buffer(Py_ssize_t items, void **data) {
    PyObject *buffer = PyByteArray_FromStringAndSize(NULL, items * 8);
    if (buffer != NULL) {
        *data = PyByteArray_AS_STRING(buffer);
    }
    return buffer;
}

PyDoc_STRVAR(hash_texts_doc,
"hash_texts(texts, bits, char_low, char_high, word_low, word_high, positions)\n"
"--\n\n"
"features.hash_texts of normalized texts: a tuple of eight bytearrays of 8-byte\n"
"items (int64 but word_hashes, which is uint64): rows, columns, starts, ends,\n"
"word_rows, word_hashes, word_starts, word_ends. Without positions, starts and\n"
"ends are empty. A lone surrogate raises ValueError, as encoding to UTF-32 does.");

static PyObject *hash_texts(PyObject *Py_UNUSED(self), PyObject *args) {
    PyObject *texts;
    int bits, char_low, char_high, word_low, word_high, positions;
    if (!PyArg_ParseTuple(args, "Oiiiiip", &texts, &bits, &char_low, &char_high, &word_low,
                          &word_high, &positions)) {
        return NULL;
    }
    if (bits < 1 || bits > 62) {
        PyErr_SetString(PyExc_ValueError, "bits must be between 1 and 62");
        return NULL;
    }
    PyObject *sequence = PySequence_Fast(texts, "texts must be a sequence of str");
    if (sequence == NULL) {
        return NULL;
    }
    Py_ssize_t n_texts = PySequence_Fast_GET_SIZE(sequence);
    PyObject **items = PySequence_Fast_ITEMS(sequence);
    Padded *padded = PyMem_Calloc(n_texts ? n_texts : 1, sizeof(Padded));
    PyObject *out[8] = {NULL};
    PyObject *result = NULL;
    if (padded == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    int low = char_low > 1 ? char_low : 1;
    int unigrams = word_low <= 1 && 1 <= word_high;
    int bigrams = word_high >= 2;
    unsigned shift = (unsigned)(64 - bits);

    /* First pass: sizes, word counts, and no lone surrogates. */
    Py_ssize_t n_char = 0, n_words = 0, n_pairs = 0;
    for (Py_ssize_t t = 0; t < n_texts; t++) {
        PyObject *text = items[t];
        if (!PyUnicode_Check(text)) {
            PyErr_SetString(PyExc_TypeError, "texts must be str");
            goto done;
        }
        Padded *p = &padded[t];
        p->kind = PyUnicode_KIND(text);
        p->data = PyUnicode_DATA(text);
        p->size = PyUnicode_GET_LENGTH(text) + 2;
        int in_word = 0;
        for (Py_ssize_t i = 0; i < p->size; i++) {
            Py_UCS4 c = code_at(p, i);
            if (c >= 0xD800 && c <= 0xDFFF) {
                PyErr_Format(PyExc_ValueError,
                             "surrogates not allowed: text %zd, position %zd", t, i - 1);
                goto done;
            }
            int word = is_word_char(c);
            if (word && !in_word) {
                p->words++;
            }
            in_word = word;
        }
        for (int n = low; n <= char_high; n++) {
            if (p->size >= n) {
                n_char += p->size - n + 1;
            }
        }
        n_words += p->words;
        if (p->words > 1) {
            n_pairs += p->words - 1;
        }
    }
    if (!bigrams) {
        n_pairs = 0;
    }
    Py_ssize_t n_occ = n_char + (unigrams ? n_words : 0) + n_pairs;
    Py_ssize_t n_pos = positions ? n_occ : 0;

    int64_t *rows, *columns, *starts, *ends, *word_rows, *word_starts, *word_ends;
    uint64_t *word_hashes;
    if ((out[0] = new_buffer(n_occ, (void **)&rows)) == NULL ||
        (out[1] = new_buffer(n_occ, (void **)&columns)) == NULL ||
        (out[2] = new_buffer(n_pos, (void **)&starts)) == NULL ||
        (out[3] = new_buffer(n_pos, (void **)&ends)) == NULL ||
        (out[4] = new_buffer(n_words, (void **)&word_rows)) == NULL ||
        (out[5] = new_buffer(n_words, (void **)&word_hashes)) == NULL ||
        (out[6] = new_buffer(n_words, (void **)&word_starts)) == NULL ||
        (out[7] = new_buffer(n_words, (void **)&word_ends)) == NULL) {
        goto done;
    }

    /* Character n-grams: by n, then by text, then by position (numpy's order). */
    Py_ssize_t k = 0;
    for (int n = low; n <= char_high; n++) {
        uint64_t salt = SALT_CHAR * (uint64_t)n;
        for (Py_ssize_t t = 0; t < n_texts; t++) {
            const Padded *p = &padded[t];
            for (Py_ssize_t b = 0; b + n <= p->size; b++, k++) {
                rows[k] = t;
                columns[k] = (int64_t)(mix(substring_hash(p, b, b + n) + salt) >> shift);
                if (positions) { /* in the text itself: the padding space is -1 */
                    starts[k] = b - 1;
                    ends[k] = b + n - 1;
                }
            }
        }
    }

    /* Words (every run of \w), and as features when unigrams are on. */
    Py_ssize_t w = 0;
    for (Py_ssize_t t = 0; t < n_texts; t++) {
        const Padded *p = &padded[t];
        Py_ssize_t begin = -1;
        for (Py_ssize_t i = 0; i <= p->size; i++) {
            int word = i < p->size && is_word_char(code_at(p, i));
            if (word && begin < 0) {
                begin = i;
            } else if (!word && begin >= 0) {
                word_rows[w] = t;
                word_hashes[w] = mix(substring_hash(p, begin, i) + SALT_WORD);
                word_starts[w] = begin - 1;
                word_ends[w] = i - 1;
                w++;
                begin = -1;
            }
        }
    }
    if (unigrams) {
        for (Py_ssize_t i = 0; i < n_words; i++, k++) {
            rows[k] = word_rows[i];
            columns[k] = (int64_t)(word_hashes[i] >> shift);
            if (positions) {
                starts[k] = word_starts[i];
                ends[k] = word_ends[i];
            }
        }
    }
    /* Word bigrams: two neighbouring words of one text. */
    if (bigrams) {
        for (Py_ssize_t i = 0; i + 1 < n_words; i++) {
            if (word_rows[i] != word_rows[i + 1]) {
                continue;
            }
            uint64_t pair = word_hashes[i] * PRIME + word_hashes[i + 1] + SALT_BIGRAM;
            rows[k] = word_rows[i];
            columns[k] = (int64_t)(mix(pair) >> shift);
            if (positions) {
                starts[k] = word_starts[i];
                ends[k] = word_ends[i + 1];
            }
            k++;
        }
    }
    result = PyTuple_New(8);
    if (result != NULL) {
        for (int i = 0; i < 8; i++) {
            PyTuple_SET_ITEM(result, i, out[i]);
            out[i] = NULL;
        }
    }

done:
    for (int i = 0; i < 8; i++) {
        Py_XDECREF(out[i]);
    }
    PyMem_Free(padded);
    Py_DECREF(sequence);
    return result;
}


/* ---- Explanations: each token's share of a head's decision value ---------------
 *
 * classifier/token_weights.py's token_weights_numpy, computed in one pass: the same
 * operations in the same order (each sum of bincount's adds element by element,
 * from 0.0), so the same doubles. setup.py compiles without floating-point
 * contraction: a fused multiply-add would round once where numpy rounds twice. */

typedef struct {
    Py_buffer view;
    Py_ssize_t n;
} Array;

static int get_array(PyObject *obj, Array *a, const char *name) {
    if (PyObject_GetBuffer(obj, &a->view, PyBUF_C_CONTIGUOUS) < 0) {
        return -1;
    }
    if (a->view.len % 8 != 0) {
        PyErr_Format(PyExc_ValueError, "%s: not an array of 8-byte items", name);
        PyBuffer_Release(&a->view);
        return -1;
    }
    a->n = a->view.len / 8;
    return 0;
}

/* numpy.searchsorted(sorted, value, side="left"): the first index with sorted[i] >= value */
static Py_ssize_t search_left(const int64_t *sorted, Py_ssize_t n, int64_t value) {
    Py_ssize_t low = 0, high = n;
    while (low < high) {
        Py_ssize_t mid = low + (high - low) / 2;
        if (sorted[mid] < value) {
            low = mid + 1;
        } else {
            high = mid;
        }
    }
    return low;
}

/* side="right": the first index with sorted[i] > value */
static Py_ssize_t search_right(const int64_t *sorted, Py_ssize_t n, int64_t value) {
    Py_ssize_t low = 0, high = n;
    while (low < high) {
        Py_ssize_t mid = low + (high - low) / 2;
        if (sorted[mid] <= value) {
            low = mid + 1;
        } else {
            high = mid;
        }
    }
    return low;
}

/* The float64 arrays of a tuple (one per head): *got of them are held on return. */
static Array *get_arrays_of(PyObject *tuple, Py_ssize_t *got, const char *name) {
    Py_ssize_t n = PyTuple_GET_SIZE(tuple);
    Array *arrays = PyMem_Calloc(n > 0 ? n : 1, sizeof(Array));
    *got = 0;
    if (arrays == NULL) {
        PyErr_NoMemory();
        return NULL;
    }
    for (; *got < n; (*got)++) {
        if (get_array(PyTuple_GET_ITEM(tuple, *got), &arrays[*got], name) < 0) {
            break;
        }
    }
    return arrays;
}

static void release_arrays(Array *arrays, Py_ssize_t got) {
    for (Py_ssize_t i = 0; i < got; i++) {
        PyBuffer_Release(&arrays[i].view);
    }
    PyMem_Free(arrays);
}

/* The kept occurrences: for each, its first and last token, column, value and share.
 * Each head's weights: numpy's coef[columns] * values * share, then per token
 * bincount(left) + bincount(right) - bincount(left, where left == right), each sum
 * element by element from 0.0. A tuple of one bytearray of float64 per head. */
typedef struct {
    Py_ssize_t kept;
    Py_ssize_t *left, *right;
    int64_t *columns;
    double *values, *shares;
} Kept;

static int kept_alloc(Kept *k, Py_ssize_t n) {
    k->kept = 0;
    k->left = PyMem_Malloc((n + 1) * sizeof(Py_ssize_t));
    k->right = PyMem_Malloc((n + 1) * sizeof(Py_ssize_t));
    k->columns = PyMem_Malloc((n + 1) * sizeof(int64_t));
    k->values = PyMem_Malloc((n + 1) * sizeof(double));
    k->shares = PyMem_Malloc((n + 1) * sizeof(double));
    if (!k->left || !k->right || !k->columns || !k->values || !k->shares) {
        PyErr_NoMemory();
        return -1;
    }
    return 0;
}

static void kept_free(Kept *k) {
    PyMem_Free(k->left);
    PyMem_Free(k->right);
    PyMem_Free(k->columns);
    PyMem_Free(k->values);
    PyMem_Free(k->shares);
}

/* The occurrence touches a token: its first and last token in *first and *last. */
static int touches_tokens(const int64_t *token_starts, const int64_t *token_ends,
                          Py_ssize_t n_tokens, int64_t start, int64_t end, Py_ssize_t *first,
                          Py_ssize_t *last) {
    *first = search_right(token_ends, n_tokens, start);
    *last = search_left(token_starts, n_tokens, end) - 1;
    return *first <= *last && *first < n_tokens && *last >= 0;
}

static PyObject *per_token_of_heads(const Kept *k, const Array *coefs, Py_ssize_t n_heads,
                                    Py_ssize_t n_tokens) {
    double *sums = PyMem_Malloc((3 * n_tokens + 1) * sizeof(double));
    PyObject *result = sums == NULL ? PyErr_NoMemory() : PyTuple_New(n_heads);
    for (Py_ssize_t h = 0; result != NULL && h < n_heads; h++) {
        const double *coef = coefs[h].view.buf;
        double *a = sums, *b = sums + n_tokens, *c = sums + 2 * n_tokens;
        for (Py_ssize_t t = 0; t < 3 * n_tokens; t++) {
            sums[t] = 0.0;
        }
        for (Py_ssize_t i = 0; i < k->kept; i++) {
            if (k->columns[i] < 0 || k->columns[i] >= coefs[h].n) {
                PyErr_SetString(PyExc_IndexError, "a column past the coefficients");
                Py_CLEAR(result);
                break;
            }
            double weight = coef[k->columns[i]] * k->values[i];
            weight = weight * k->shares[i];
            a[k->left[i]] += weight;
            b[k->right[i]] += weight;
            c[k->left[i]] += k->left[i] == k->right[i] ? weight : 0.0;
        }
        double *out;
        PyObject *buffer = result == NULL ? NULL : new_buffer(n_tokens, (void **)&out);
        if (buffer == NULL) {
            Py_CLEAR(result);
            break;
        }
        for (Py_ssize_t t = 0; t < n_tokens; t++) {
            out[t] = (a[t] + b[t]) - c[t];
        }
        PyTuple_SET_ITEM(result, h, buffer);
    }
    PyMem_Free(sums);
    return result;
}

PyDoc_STRVAR(token_weights_doc,
"token_weights(columns, starts, ends, token_starts, token_ends, value_columns,\n"
"              value_values, coefs)\n"
"--\n\n"
"token_weights.token_weights_numpy compiled: a tuple with one bytearray of\n"
"float64 per coefficient array in coefs, one item per token. Every argument\n"
"but coefs (a tuple of float64 arrays) is a contiguous array of int64, but\n"
"value_values (float64).");

static PyObject *token_weights(PyObject *Py_UNUSED(self), PyObject *args) {
    PyObject *objects[7];
    PyObject *coefs;
    static const char *names[7] = {"columns", "starts", "ends", "token_starts",
                                   "token_ends", "value_columns", "value_values"};
    if (!PyArg_ParseTuple(args, "OOOOOOOO!", &objects[0], &objects[1], &objects[2],
                          &objects[3], &objects[4], &objects[5], &objects[6],
                          &PyTuple_Type, &coefs)) {
        return NULL;
    }
    Array arrays[7];
    int got = 0;
    PyObject *result = NULL;
    Kept k = {0, NULL, NULL, NULL, NULL, NULL};
    Py_ssize_t *where = NULL, *counts = NULL;
    Py_ssize_t n_heads = PyTuple_GET_SIZE(coefs), coefs_got = 0;
    Array *coef_arrays = get_arrays_of(coefs, &coefs_got, "coefs");
    if (coef_arrays == NULL || coefs_got < n_heads) {
        goto done;
    }
    for (; got < 7; got++) {
        if (get_array(objects[got], &arrays[got], names[got]) < 0) {
            goto done;
        }
    }
    const int64_t *columns = arrays[0].view.buf, *starts = arrays[1].view.buf;
    const int64_t *ends = arrays[2].view.buf, *token_starts = arrays[3].view.buf;
    const int64_t *token_ends = arrays[4].view.buf, *value_columns = arrays[5].view.buf;
    const double *value_values = arrays[6].view.buf;
    Py_ssize_t n = arrays[0].n, n_tokens = arrays[3].n, n_values = arrays[5].n;
    if (arrays[1].n != n || arrays[2].n != n || arrays[4].n != n_tokens ||
        arrays[6].n != n_values) {
        PyErr_SetString(PyExc_ValueError, "token_weights: arrays of different lengths");
        goto done;
    }
    where = PyMem_Malloc((n + 1) * sizeof(Py_ssize_t));
    counts = PyMem_Calloc(n_values + 1, sizeof(Py_ssize_t));
    if (kept_alloc(&k, n) < 0 || !where || !counts) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_ssize_t first, last;
        if (touches_tokens(token_starts, token_ends, n_tokens, starts[i], ends[i], &first,
                           &last)) {
            k.left[k.kept] = first;
            k.right[k.kept] = last;
            k.columns[k.kept] = columns[i];
            k.kept++;
        }
    }
    /* A column's value is shared by its kept occurrences (counted as numpy's
       bincount of where[present], looked up at where even when not present). */
    for (Py_ssize_t i = 0; i < k.kept; i++) {
        where[i] = -1;
        k.values[i] = 0.0;
        if (n_values == 0) {
            continue;
        }
        Py_ssize_t at = search_left(value_columns, n_values, k.columns[i]);
        if (at > n_values - 1) {
            at = n_values - 1;
        }
        if (value_columns[at] == k.columns[i]) {
            k.values[i] = value_values[at];
            counts[at]++;
        }
        where[i] = at;
    }
    for (Py_ssize_t i = 0; i < k.kept; i++) {
        if (where[i] < 0) {
            k.shares[i] = 0.0;
        } else {
            Py_ssize_t count = counts[where[i]] > 1 ? counts[where[i]] : 1;
            k.shares[i] = (k.left[i] == k.right[i] ? 1.0 : 0.5) / (double)count;
        }
    }
    result = per_token_of_heads(&k, coef_arrays, n_heads, n_tokens);

done:
    for (int i = 0; i < got; i++) {
        PyBuffer_Release(&arrays[i].view);
    }
    if (coef_arrays != NULL) {
        release_arrays(coef_arrays, coefs_got);
    }
    kept_free(&k);
    PyMem_Free(where);
    PyMem_Free(counts);
    return result;
}

/* A scored row's explanation: token_weights with the row's values made from its
 * occurrences (a column's value is its count in the row times the row's scale),
 * counted in a hash table instead of numpy's sort (np.unique), for the same doubles:
 * each kept occurrence's value and its column's number of kept occurrences are the
 * numbers token_weights_numpy finds by searching the sorted unique columns. */

typedef struct {
    int64_t *keys; /* -1: empty */
    Py_ssize_t *all;
    Py_ssize_t *kept;
    Py_ssize_t mask;
} Counts;

static Py_ssize_t counts_slot(const Counts *c, int64_t key) {
    uint64_t h = mix((uint64_t)key);
    Py_ssize_t slot = (Py_ssize_t)(h & (uint64_t)c->mask);
    while (c->keys[slot] != -1 && c->keys[slot] != key) {
        slot = (slot + 1) & c->mask;
    }
    return slot;
}

PyDoc_STRVAR(row_token_weights_doc,
"row_token_weights(columns, starts, ends, token_starts, token_ends, row_columns,\n"
"                  scale, coefs)\n"
"--\n\n"
"token_weights of one scored row, its values being each column's count in\n"
"row_columns (int64, every column of the row, occurrences and fields) times\n"
"scale (a float); a column not in row_columns has the value 0.");

static PyObject *row_token_weights(PyObject *Py_UNUSED(self), PyObject *args) {
    PyObject *objects[6];
    PyObject *coefs;
    double scale;
    static const char *names[6] = {"columns", "starts", "ends", "token_starts", "token_ends",
                                   "row_columns"};
    if (!PyArg_ParseTuple(args, "OOOOOOdO!", &objects[0], &objects[1], &objects[2],
                          &objects[3], &objects[4], &objects[5], &scale, &PyTuple_Type,
                          &coefs)) {
        return NULL;
    }
    Array arrays[6];
    int got = 0;
    PyObject *result = NULL;
    Counts table = {NULL, NULL, NULL, 0};
    Kept k = {0, NULL, NULL, NULL, NULL, NULL};
    Py_ssize_t *slots = NULL;
    Py_ssize_t n_heads = PyTuple_GET_SIZE(coefs), coefs_got = 0;
    Array *coef_arrays = get_arrays_of(coefs, &coefs_got, "coefs");
    if (coef_arrays == NULL || coefs_got < n_heads) {
        goto done;
    }
    for (; got < 6; got++) {
        if (get_array(objects[got], &arrays[got], names[got]) < 0) {
            goto done;
        }
    }
    const int64_t *columns = arrays[0].view.buf, *starts = arrays[1].view.buf;
    const int64_t *ends = arrays[2].view.buf, *token_starts = arrays[3].view.buf;
    const int64_t *token_ends = arrays[4].view.buf, *row_columns = arrays[5].view.buf;
    Py_ssize_t n = arrays[0].n, n_tokens = arrays[3].n, n_row = arrays[5].n;
    if (arrays[1].n != n || arrays[2].n != n || arrays[4].n != n_tokens) {
        PyErr_SetString(PyExc_ValueError, "row_token_weights: arrays of different lengths");
        goto done;
    }
    Py_ssize_t capacity = 16;
    while (capacity < 2 * (n_row + n + 1)) { /* row columns and occurrences alike */
        capacity *= 2;
    }
    table.mask = capacity - 1;
    table.keys = PyMem_Malloc(capacity * sizeof(int64_t));
    table.all = PyMem_Calloc(capacity, sizeof(Py_ssize_t));
    table.kept = PyMem_Calloc(capacity, sizeof(Py_ssize_t));
    slots = PyMem_Malloc((n + 1) * sizeof(Py_ssize_t));
    if (kept_alloc(&k, n) < 0 || !table.keys || !table.all || !table.kept || !slots) {
        PyErr_NoMemory();
        goto done;
    }
    memset(table.keys, 0xff, capacity * sizeof(int64_t)); /* every key -1 */
    for (Py_ssize_t i = 0; i < n_row; i++) {
        if (row_columns[i] < 0) {
            PyErr_SetString(PyExc_ValueError, "row_token_weights: a negative column");
            goto done;
        }
        Py_ssize_t slot = counts_slot(&table, row_columns[i]);
        table.keys[slot] = row_columns[i];
        table.all[slot]++;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_ssize_t first, last;
        if (touches_tokens(token_starts, token_ends, n_tokens, starts[i], ends[i], &first,
                           &last)) {
            if (columns[i] < 0) {
                PyErr_SetString(PyExc_ValueError, "row_token_weights: a negative column");
                goto done;
            }
            /* A column not in the row (never, for a scored row) has the value 0: it
               adds nothing, as in token_weights_numpy. The table has room for it. */
            Py_ssize_t slot = counts_slot(&table, columns[i]);
            table.keys[slot] = columns[i];
            table.kept[slot]++;
            k.left[k.kept] = first;
            k.right[k.kept] = last;
            k.columns[k.kept] = columns[i];
            slots[k.kept] = slot;
            k.kept++;
        }
    }
    for (Py_ssize_t i = 0; i < k.kept; i++) {
        Py_ssize_t slot = slots[i];
        Py_ssize_t count = table.kept[slot] > 1 ? table.kept[slot] : 1;
        k.values[i] = (double)table.all[slot] * scale; /* numpy: counts * scale */
        k.shares[i] = (k.left[i] == k.right[i] ? 1.0 : 0.5) / (double)count;
    }
    result = per_token_of_heads(&k, coef_arrays, n_heads, n_tokens);

done:
    for (int i = 0; i < got; i++) {
        PyBuffer_Release(&arrays[i].view);
    }
    if (coef_arrays != NULL) {
        release_arrays(coef_arrays, coefs_got);
    }
    kept_free(&k);
    PyMem_Free(table.keys);
    PyMem_Free(table.all);
    PyMem_Free(table.kept);
    PyMem_Free(slots);
    return result;
}

/* ---- Scoring: each row's decision value for each head -------------------------
 *
 * features.FeatureBatch.dot for several weight vectors at once, the same doubles:
 * per row, the text block's weights summed in the occurrences' order from 0.0 (as
 * numpy's bincount adds them), times the row's scale, plus the META block's
 * products summed left to right from 0.0 (features.row_dots). */

PyDoc_STRVAR(decisions_doc,
"decisions(rows, columns, scale, meta, n_rows, n_features, weights)\n"
"--\n\n"
"FeatureBatch.dot of each float64 array in the tuple weights: a tuple of\n"
"bytearrays of n_rows float64 each. rows and columns are int64 arrays (the\n"
"occurrences), scale float64 (one per row), meta float64 (n_rows rows of\n"
"len(weights[i]) - n_features values, row after row).");

static PyObject *decisions(PyObject *Py_UNUSED(self), PyObject *args) {
    PyObject *objects[4];
    PyObject *weights;
    Py_ssize_t n_rows, n_features;
    static const char *names[4] = {"rows", "columns", "scale", "meta"};
    if (!PyArg_ParseTuple(args, "OOOOnnO!", &objects[0], &objects[1], &objects[2],
                          &objects[3], &n_rows, &n_features, &PyTuple_Type, &weights)) {
        return NULL;
    }
    Array arrays[4];
    int got = 0;
    PyObject *result = NULL;
    Py_ssize_t n_heads = PyTuple_GET_SIZE(weights), weights_got = 0;
    Array *weight_arrays = get_arrays_of(weights, &weights_got, "weights");
    double *text = NULL;
    if (weight_arrays == NULL || weights_got < n_heads) {
        goto done;
    }
    for (; got < 4; got++) {
        if (get_array(objects[got], &arrays[got], names[got]) < 0) {
            goto done;
        }
    }
    const int64_t *rows = arrays[0].view.buf, *columns = arrays[1].view.buf;
    const double *scale = arrays[2].view.buf, *meta = arrays[3].view.buf;
    Py_ssize_t n = arrays[0].n;
    if (n_rows < 0 || n_features < 0 || arrays[1].n != n || arrays[2].n != n_rows) {
        PyErr_SetString(PyExc_ValueError, "decisions: arrays of different lengths");
        goto done;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        if (rows[i] < 0 || rows[i] >= n_rows || columns[i] < 0 || columns[i] >= n_features) {
            PyErr_SetString(PyExc_IndexError, "decisions: an occurrence out of range");
            goto done;
        }
    }
    text = PyMem_Malloc((n_rows + 1) * sizeof(double));
    if (text == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    result = PyTuple_New(n_heads);
    if (result == NULL) {
        goto done;
    }
    for (Py_ssize_t h = 0; h < n_heads; h++) {
        const double *weight = weight_arrays[h].view.buf;
        Py_ssize_t n_meta = weight_arrays[h].n - n_features;
        if (n_meta < 0 || arrays[3].n != n_rows * n_meta) {
            PyErr_SetString(PyExc_ValueError, "decisions: weights and meta block disagree");
            Py_CLEAR(result);
            goto done;
        }
        for (Py_ssize_t r = 0; r < n_rows; r++) {
            text[r] = 0.0;
        }
        for (Py_ssize_t i = 0; i < n; i++) {
            text[rows[i]] += weight[columns[i]];
        }
        double *out;
        PyObject *buffer = new_buffer(n_rows, (void **)&out);
        if (buffer == NULL) {
            Py_CLEAR(result);
            goto done;
        }
        for (Py_ssize_t r = 0; r < n_rows; r++) {
            double meta_total = 0.0;
            for (Py_ssize_t k = 0; k < n_meta; k++) {
                double product = meta[r * n_meta + k] * weight[n_features + k];
                meta_total += product;
            }
            double scaled = text[r] * scale[r];
            out[r] = scaled + meta_total;
        }
        PyTuple_SET_ITEM(result, h, buffer);
    }

done:
    for (int i = 0; i < got; i++) {
        PyBuffer_Release(&arrays[i].view);
    }
    if (weight_arrays != NULL) {
        release_arrays(weight_arrays, weights_got);
    }
    PyMem_Free(text);
    return result;
}

PyDoc_STRVAR(obfuscation_hints_doc,
"obfuscation_hints(text)\n"
"--\n\n"
"The guards of text.py's obfuscation steps in one pass over the str text, as\n"
"bits: 1 re.search('[.*_-][a-z][.*_-][a-z]'), 2 re.search(' [a-z] [a-z] '),\n"
"4 re.search('[0-9$|!@][a-z]'), 8 re.search('[a-z][013457]{2}'), 16 a character\n"
"three times in a row. Each bit is set exactly when its search would match.");

static inline int is_lower(Py_UCS4 c) { return c >= 'a' && c <= 'z'; }
static inline int is_joiner(Py_UCS4 c) { return c == '.' || c == '*' || c == '_' || c == '-'; }
static inline int is_leet_tail(Py_UCS4 c) {
    return c == '0' || c == '1' || c == '3' || c == '4' || c == '5' || c == '7';
}
static inline int is_leet_inside(Py_UCS4 c) {
    return (c >= '0' && c <= '9') || c == '$' || c == '|' || c == '!' || c == '@';
}

static PyObject *obfuscation_hints(PyObject *Py_UNUSED(self), PyObject *text) {
    if (!PyUnicode_Check(text)) {
        PyErr_SetString(PyExc_TypeError, "obfuscation_hints: text must be a str");
        return NULL;
    }
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    long bits = 0;
    /* c[0] is the character at i, c[k] the one k places before it (0 before the text) */
    Py_UCS4 c[5] = {0, 0, 0, 0, 0};
    for (Py_ssize_t i = 0; i < n && bits != 31; i++) {
        c[4] = c[3];
        c[3] = c[2];
        c[2] = c[1];
        c[1] = c[0];
        c[0] = PyUnicode_READ(kind, data, i);
        if (i >= 3 && is_joiner(c[3]) && is_lower(c[2]) && is_joiner(c[1]) && is_lower(c[0])) {
            bits |= 1;
        }
        if (i >= 4 && c[4] == ' ' && is_lower(c[3]) && c[2] == ' ' && is_lower(c[1]) &&
            c[0] == ' ') {
            bits |= 2;
        }
        if (i >= 1 && is_leet_inside(c[1]) && is_lower(c[0])) {
            bits |= 4;
        }
        if (i >= 2 && is_lower(c[2]) && is_leet_tail(c[1]) && is_leet_tail(c[0])) {
            bits |= 8;
        }
        if (i >= 2 && c[0] == c[1] && c[1] == c[2]) {
            bits |= 16;
        }
    }
    return PyLong_FromLong(bits);
}

static PyMethodDef methods[] = {
    {"obfuscation_hints", obfuscation_hints, METH_O, obfuscation_hints_doc},
    {"hash_texts", hash_texts, METH_VARARGS, hash_texts_doc},
    {"token_weights", token_weights, METH_VARARGS, token_weights_doc},
    {"decisions", decisions, METH_VARARGS, decisions_doc},
    {"row_token_weights", row_token_weights, METH_VARARGS, row_token_weights_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT,
    "classifier._hashing",
    "The compiled parts of features.py and token_weights.py: the same numbers in one pass.",
    -1,
    methods,
    NULL,
    NULL,
    NULL,
    NULL,
};

PyMODINIT_FUNC PyInit__hashing(void) { return PyModule_Create(&module); }
