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

static PyMethodDef methods[] = {
    {"hash_texts", hash_texts, METH_VARARGS, hash_texts_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT,
    "classifier._hashing",
    "features.hash_texts compiled: the same hashed n-grams in one pass.",
    -1,
    methods,
    NULL,
    NULL,
    NULL,
    NULL,
};

PyMODINIT_FUNC PyInit__hashing(void) { return PyModule_Create(&module); }
