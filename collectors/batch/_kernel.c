/* The record walk of a classic pcap buffer with settled streams counted in C (collectors.batch.kernel).
 *
 * `Walker.step` does exactly what `Pipeline.feed_records_each` does for each record, up to the first one
 * that needs Python: it reads the record header, counts the record, and counts a frame of a settled
 * stream (Ethernet, IPv4 with a 20-byte header, not a fragment, UDP, the entry's SSRC and payload
 * type) in the stream's fast-path entry. It returns at a frame for the full path, at a record whose
 * time calls for a sweep (not consumed), at the end of the buffer's whole records, or at an impossible
 * record header.
 *
 * The entries are the Python `FastPath.entries` (12-byte key: the frame's bytes 26-38 -> FastEntry).
 * An entry seen once is cached here with its SSRC and payload type, and the counts of its frames are
 * held here (packets, octets, last time) until Python needs them: `settle(key)` gives one entry its
 * counts and forgets it (`FastPath.watch` calls it before that entry changes), `settle(None)` gives
 * every cached entry its counts (before entries fold their counts into flows and streams), and
 * `release()` does that and forgets them all (at the end of a buffer: between buffers, entries may
 * change without the hook).
 *
 * `Walker.step_block` does the same for the frames of a TPACKET_V3 ring block (live capture), as
 * `LiveSource.frames` reads them, handing back the frames whose VLAN tag the kernel took off.
 *
 * `Walker.step_pcapng` does it for the plain Enhanced Packet Blocks of a pcapng buffer (no options, a
 * described interface: what `BlockLayout._plain_epb` cuts out itself) and hands back, unread, any
 * other block (BLOCK), which Python reads as it does today (`BlockLayout.read_blocks`).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#define KEY_AT 26
#define KEY_LEN 12
#define MIN_FRAME 54            /* RTP_AT + 12: room for an RTP header */

enum { FRAME = 0, SWEEP = 1, END = 2, DAMAGED = 3, VLAN = 4, OUTSIDE = 5, BLOCK = 6 };

typedef struct {
    uint8_t key[KEY_LEN];
    uint8_t ssrc[4];
    long pt;
    PyObject *entry;            /* strong reference; NULL: the slot is empty */
    long long packets, octets;  /* counted here, not yet given to the entry */
    double last;
} Slot;

typedef struct {
    PyObject_HEAD
    int little;                 /* the file's byte order */
    double scale;               /* seconds per fraction unit of the record header */
    int ethernet;               /* link type 1 */
    unsigned long max_record;
    Slot *slots;                /* open addressing, linear probing, `mask + 1` slots */
    size_t mask, used;
    long long packets, octets;  /* records consumed and their wire lengths, until `take()` */
} Walker;

static PyObject *str_packets, *str_octets, *str_last, *str_ssrc_bytes, *str_pt;

static inline uint32_t read32(const uint8_t *p, int little)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return little ? v : __builtin_bswap32(v);
}

static inline size_t key_hash(const uint8_t *key)
{
    uint64_t a, b = 0;
    memcpy(&a, key, 8);
    memcpy(&b, key + 8, 4);
    uint64_t h = (a ^ (b * 0x9E3779B97F4A7C15ULL)) * 0xFF51AFD7ED558CCDULL;
    return (size_t)(h ^ (h >> 29));
}

static Slot *find(Walker *w, const uint8_t *key)
{
    size_t i = key_hash(key) & w->mask;
    for (;;) {
        Slot *s = &w->slots[i];
        if (s->entry == NULL)
            return NULL;
        if (memcmp(s->key, key, KEY_LEN) == 0)
            return s;
        i = (i + 1) & w->mask;
    }
}

/* Add `count` to the int attribute `name` of `obj`. */
static int add_to(PyObject *obj, PyObject *name, long long count)
{
    PyObject *old = PyObject_GetAttr(obj, name);
    if (old == NULL)
        return -1;
    PyObject *delta = PyLong_FromLongLong(count);
    PyObject *sum = delta ? PyNumber_Add(old, delta) : NULL;
    Py_DECREF(old);
    Py_XDECREF(delta);
    if (sum == NULL)
        return -1;
    int failed = PyObject_SetAttr(obj, name, sum);
    Py_DECREF(sum);
    return failed;
}

/* Give the slot's held counts to its entry (`FastPath.count`'s three updates, summed). */
static int fold(Slot *s)
{
    if (!s->packets)
        return 0;
    if (add_to(s->entry, str_packets, s->packets) < 0 || add_to(s->entry, str_octets, s->octets) < 0)
        return -1;
    PyObject *last = PyFloat_FromDouble(s->last);
    if (last == NULL)
        return -1;
    int failed = PyObject_SetAttr(s->entry, str_last, last);
    Py_DECREF(last);
    s->packets = s->octets = 0;
    return failed;
}

static int grow(Walker *w)
{
    size_t size = (w->mask + 1) * 2;
    Slot *old = w->slots, *slots = PyMem_Calloc(size, sizeof(Slot));
    if (slots == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    size_t old_size = w->mask + 1;
    w->slots = slots;
    w->mask = size - 1;
    for (size_t i = 0; i < old_size; i++) {
        if (old[i].entry == NULL)
            continue;
        size_t j = key_hash(old[i].key) & w->mask;
        while (slots[j].entry != NULL)
            j = (j + 1) & w->mask;
        slots[j] = old[i];
    }
    PyMem_Free(old);
    return 0;
}

/* Remove slot `s` (its counts already folded): the later slots of its probe run that may fill the gap
 * move back (linear probing's deletion; no tombstones). */
static void drop(Walker *w, Slot *s)
{
    size_t i = (size_t)(s - w->slots), j = i;
    Py_CLEAR(w->slots[i].entry);
    w->used--;
    for (;;) {
        j = (j + 1) & w->mask;
        if (w->slots[j].entry == NULL)
            return;
        size_t home = key_hash(w->slots[j].key) & w->mask;
        int stays = i <= j ? (i < home && home <= j) : (i < home || home <= j);   /* home in (i, j] */
        if (stays)
            continue;
        w->slots[i] = w->slots[j];
        memset(&w->slots[j], 0, sizeof(Slot));
        i = j;
    }
}

/* The entry of `key` from the Python dict, cached; NULL (no exception) when there is none. */
static Slot *miss(Walker *w, PyObject *entries, const uint8_t *key)
{
    PyObject *name = PyBytes_FromStringAndSize((const char *)key, KEY_LEN);
    if (name == NULL)
        return NULL;
    PyObject *entry = PyDict_GetItemWithError(entries, name);      /* borrowed */
    Py_DECREF(name);
    if (entry == NULL)
        return NULL;
    PyObject *ssrc = PyObject_GetAttr(entry, str_ssrc_bytes);
    PyObject *pt = ssrc ? PyObject_GetAttr(entry, str_pt) : NULL;
    long pt_value = pt ? PyLong_AsLong(pt) : -1;
    int usable = ssrc && PyBytes_Check(ssrc) && PyBytes_GET_SIZE(ssrc) == 4 && !PyErr_Occurred();
    Slot *s = NULL;
    if (usable && (w->used + 1) * 2 > w->mask + 1 && grow(w) < 0)
        usable = 0;
    if (usable) {
        size_t i = key_hash(key) & w->mask;
        while (w->slots[i].entry != NULL)
            i = (i + 1) & w->mask;
        s = &w->slots[i];
        memcpy(s->key, key, KEY_LEN);
        memcpy(s->ssrc, PyBytes_AS_STRING(ssrc), 4);
        s->pt = pt_value;
        s->packets = s->octets = 0;
        s->last = 0.0;
        Py_INCREF(entry);
        s->entry = entry;
        w->used++;
    }
    Py_XDECREF(ssrc);
    Py_XDECREF(pt);
    return s;
}

static PyObject *outcome(int code, Py_ssize_t pos, double ts, PyObject *frame, int common)
{
    PyObject *result = PyTuple_New(5);
    if (result == NULL) {
        Py_XDECREF(frame);
        return NULL;
    }
    PyObject *items[5] = {PyLong_FromLong(code), PyLong_FromSsize_t(pos), PyFloat_FromDouble(ts),
                          frame ? frame : Py_NewRef(Py_None), PyBool_FromLong(common)};
    for (int k = 0; k < 5; k++) {
        if (items[k] == NULL) {
            for (int m = 0; m < 5; m++)
                Py_XDECREF(items[m]);
            Py_DECREF(result);
            return NULL;
        }
    }
    for (int k = 0; k < 5; k++)
        PyTuple_SET_ITEM(result, k, items[k]);
    return result;
}

/* `fast_shape` of the frame at `f` of `caplen` bytes. */
static inline int fast_shape(const uint8_t *f, size_t caplen)
{
    return caplen >= MIN_FRAME && f[12] == 0x08 && f[13] == 0x00 && f[14] == 0x45 && f[23] == 17
        && !((f[20] & 0x3F) || f[21]);
}

/* Count the Ethernet frame at `f` in its settled stream's entry, as `FastPath.count` would: 1 counted,
 * 0 not (the frame takes the full path), -1 an exception. */
static inline int count_frame(Walker *w, PyObject *entries, const uint8_t *f, size_t caplen, double ts)
{
    if (caplen < MIN_FRAME)
        return 0;
    Slot *s = find(w, f + KEY_AT);
    if (s == NULL) {
        s = miss(w, entries, f + KEY_AT);
        if (s == NULL)
            return PyErr_Occurred() ? -1 : 0;
    }
    if (memcmp(f + 50, s->ssrc, 4) != 0 || (f[43] & 0x7F) != s->pt || !fast_shape(f, caplen))
        return 0;
    s->packets++;
    s->octets += ((f[38] << 8) | f[39]) - 8;
    s->last = ts;
    return 1;
}

/* The entries dict checked and the buffer of a step opened (released by the caller): 0, or -1 raised. */
static int open_step(PyObject *buffer, PyObject *entries, Py_buffer *view)
{
    if (!PyDict_Check(entries)) {
        PyErr_SetString(PyExc_TypeError, "entries must be a dict");
        return -1;
    }
    return PyObject_GetBuffer(buffer, view, PyBUF_SIMPLE);
}

/* step(buf, pos, entries, next_sweep) -> (code, pos, ts, frame or None, common) */
static PyObject *Walker_step(Walker *w, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 4) {
        PyErr_SetString(PyExc_TypeError, "step(buf, pos, entries, next_sweep)");
        return NULL;
    }
    Py_ssize_t pos = PyLong_AsSsize_t(args[1]);
    double next_sweep = PyFloat_AsDouble(args[3]);
    if (PyErr_Occurred())
        return NULL;
    Py_buffer view;
    if (open_step(args[0], args[2], &view) < 0)
        return NULL;
    const uint8_t *buf = view.buf;
    Py_ssize_t size = view.len;
    PyObject *entries = args[2], *result = NULL;
    int code = END;
    double ts = 0.0;
    while (pos >= 0 && size - pos >= 16) {
        const uint8_t *h = buf + pos;
        uint32_t caplen = read32(h + 8, w->little);
        if (caplen > w->max_record) {
            code = DAMAGED;
            break;
        }
        Py_ssize_t end = pos + 16 + (Py_ssize_t)caplen;
        if (end > size)
            break;
        ts = (double)read32(h, w->little) + (double)read32(h + 4, w->little) * w->scale;
        if (!(ts < next_sweep)) {           /* Python's `ts >= next_sweep` */
            code = SWEEP;
            break;
        }
        const uint8_t *f = h + 16;
        w->packets++;
        w->octets += read32(h + 12, w->little);
        pos = end;
        if (w->ethernet) {
            int counted = count_frame(w, entries, f, caplen, ts);
            if (counted < 0)
                goto done;
            if (counted)
                continue;
        }
        PyObject *frame = PyBytes_FromStringAndSize((const char *)f, caplen);
        if (frame == NULL)
            goto done;
        result = outcome(FRAME, pos, ts, frame, w->ethernet && fast_shape(f, caplen));
        goto done;
    }
    result = outcome(code, pos, ts, NULL, 0);
done:
    PyBuffer_Release(&view);
    return result;
}

/* A TPACKET_V3 frame header (struct tpacket3_hdr) in a ring block, read in the machine's byte order. */
#define TP_HEADER 48            /* sizeof(struct tpacket3_hdr), padding included */
#define TP_STATUS_VLAN_VALID (1u << 4)

/* step_block(ring, pos, left, entries, next_sweep) -> (code, pos, left, ts, frame, common, header)
 * The frames of a ring block from the header at `pos`, `left` of them: as `step`, for frames the kernel
 * wrote (`LiveSource.frames`). A frame whose VLAN tag the kernel took off comes back as VLAN (Python puts
 * the tag back; `header` is where its header is), and a header or frame reaching past the ring as OUTSIDE
 * (Python reads the rest of the block). `pos`, `left`: where the next frame's header is, and how many are left. */
static PyObject *Walker_step_block(Walker *w, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 5) {
        PyErr_SetString(PyExc_TypeError, "step_block(ring, pos, left, entries, next_sweep)");
        return NULL;
    }
    Py_ssize_t pos = PyLong_AsSsize_t(args[1]), left = PyLong_AsSsize_t(args[2]);
    double next_sweep = PyFloat_AsDouble(args[4]);
    if (PyErr_Occurred())
        return NULL;
    Py_buffer view;
    if (open_step(args[0], args[3], &view) < 0)
        return NULL;
    const uint8_t *ring = view.buf;
    Py_ssize_t size = view.len;
    PyObject *entries = args[3], *result = NULL, *frame = NULL;
    int code = END, common = 0;
    double ts = 0.0;
    Py_ssize_t header = pos;
    while (left > 0) {
        header = pos;
        if (pos < 0 || pos > size - TP_HEADER) {
            code = OUTSIDE;
            break;
        }
        const uint8_t *h = ring + pos;
        uint32_t next, sec, nsec, snaplen, wirelen, status;
        uint16_t mac;
        memcpy(&next, h, 4);
        memcpy(&sec, h + 4, 4);
        memcpy(&nsec, h + 8, 4);
        memcpy(&snaplen, h + 12, 4);
        memcpy(&wirelen, h + 16, 4);
        memcpy(&status, h + 20, 4);
        memcpy(&mac, h + 24, 2);
        if ((Py_ssize_t)snaplen > size - pos - mac) {
            code = OUTSIDE;
            break;
        }
        ts = (double)sec + (double)nsec * 1e-9;
        if (!(ts < next_sweep)) {
            code = SWEEP;
            break;
        }
        const uint8_t *f = h + mac;
        w->packets++;
        w->octets += wirelen;
        pos += next;
        left--;
        if (status & TP_STATUS_VLAN_VALID) {
            code = VLAN;
        } else {
            int counted = count_frame(w, entries, f, snaplen, ts);
            if (counted < 0)
                goto done;
            if (counted)
                continue;
            code = FRAME;
            common = fast_shape(f, snaplen);
        }
        frame = PyBytes_FromStringAndSize((const char *)f, snaplen);
        if (frame == NULL)
            goto done;
        break;
    }
    result = Py_BuildValue("(inndNNn)", code, pos, left, ts, frame ? frame : Py_NewRef(Py_None),
                           PyBool_FromLong(common), header) ;
done:
    PyBuffer_Release(&view);
    return result;
}

#define EPB_TYPE 6
#define EPB_FIXED 32            /* type, length, interface, time (2), caplen, wirelen; trailing length */
#define MAX_INTERFACES 64       /* ids past it are read by Python, as any block it reads */

/* The (link type, ticks per second) of each described interface, from a sequence of pairs. */
static Py_ssize_t read_interfaces(PyObject *table, long *linktypes, double *resolutions)
{
    PyObject *items = PySequence_Fast(table, "interfaces must be a sequence of (linktype, tsresol)");
    if (items == NULL)
        return -1;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(items), used = n < MAX_INTERFACES ? n : MAX_INTERFACES;
    for (Py_ssize_t i = 0; i < used; i++) {
        PyObject *pair = PySequence_Fast_GET_ITEM(items, i);
        if (!PyTuple_Check(pair) || PyTuple_GET_SIZE(pair) != 2) {
            PyErr_SetString(PyExc_TypeError, "interfaces must be a sequence of (linktype, tsresol)");
            Py_DECREF(items);
            return -1;
        }
        linktypes[i] = PyLong_AsLong(PyTuple_GET_ITEM(pair, 0));
        resolutions[i] = PyFloat_AsDouble(PyTuple_GET_ITEM(pair, 1));
        if (PyErr_Occurred()) {
            Py_DECREF(items);
            return -1;
        }
    }
    Py_DECREF(items);
    return used;
}

/* step_pcapng(buf, pos, entries, next_sweep, little, interfaces) -> (code, pos, ts, frame, common, linktype)
 * The plain EPBs of a pcapng buffer from `pos`, as `step` walks classic records: a frame for the full path
 * comes back as FRAME with its interface's link type; any other block comes back unread as BLOCK (`pos`
 * is where it starts); END at a block not all in the buffer (or fewer than 12 bytes left). */
static PyObject *Walker_step_pcapng(Walker *w, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 6) {
        PyErr_SetString(PyExc_TypeError, "step_pcapng(buf, pos, entries, next_sweep, little, interfaces)");
        return NULL;
    }
    long linktypes[MAX_INTERFACES];
    double resolutions[MAX_INTERFACES];
    Py_ssize_t pos = PyLong_AsSsize_t(args[1]);
    double next_sweep = PyFloat_AsDouble(args[3]);
    int little = PyObject_IsTrue(args[4]);
    if (PyErr_Occurred() || little < 0)
        return NULL;
    Py_ssize_t described = read_interfaces(args[5], linktypes, resolutions);
    Py_buffer view;
    if (described < 0 || open_step(args[0], args[2], &view) < 0)
        return NULL;
    const uint8_t *buf = view.buf;
    Py_ssize_t size = view.len;
    PyObject *entries = args[2], *result = NULL, *frame = NULL;
    int code = END, common = 0;
    long linktype = 0;
    double ts = 0.0;
    while (pos >= 0 && size - pos >= 12) {
        const uint8_t *h = buf + pos;
        uint32_t length = read32(h + 4, little);
        if (read32(h, little) != EPB_TYPE || length < EPB_FIXED || length % 4) {
            code = BLOCK;
            break;
        }
        if ((Py_ssize_t)length > size - pos)
            break;
        uint32_t interface = read32(h + 8, little), caplen = read32(h + 20, little);
        if (interface >= (uint64_t)described || caplen > w->max_record
            || length != EPB_FIXED + caplen + (-caplen & 3u) || read32(h + length - 4, little) != length) {
            code = BLOCK;
            break;
        }
        uint64_t ticks = ((uint64_t)read32(h + 12, little) << 32) | read32(h + 16, little);
        ts = (double)ticks / resolutions[interface];
        if (!(ts < next_sweep)) {
            code = SWEEP;
            break;
        }
        const uint8_t *f = h + 28;
        linktype = linktypes[interface];
        w->packets++;
        w->octets += read32(h + 24, little);
        pos += length;
        if (linktype == 1) {
            int counted = count_frame(w, entries, f, caplen, ts);
            if (counted < 0)
                goto done;
            if (counted)
                continue;
        }
        code = FRAME;
        common = linktype == 1 && fast_shape(f, caplen);
        frame = PyBytes_FromStringAndSize((const char *)f, caplen);
        if (frame == NULL)
            goto done;
        break;
    }
    result = Py_BuildValue("(indNNl)", code, pos, ts, frame ? frame : Py_NewRef(Py_None), PyBool_FromLong(common),
                           linktype);
done:
    PyBuffer_Release(&view);
    return result;
}

static int settle_all(Walker *w)
{
    for (size_t i = 0; i <= w->mask; i++)
        if (w->slots[i].entry != NULL && fold(&w->slots[i]) < 0)
            return -1;
    return 0;
}

/* settle(key or None): the hook `FastPath.watch` calls before entries change or fold their counts. */
static PyObject *Walker_settle(Walker *w, PyObject *key)
{
    if (key == Py_None) {
        if (settle_all(w) < 0)
            return NULL;
        Py_RETURN_NONE;
    }
    if (!PyBytes_Check(key)) {
        PyErr_SetString(PyExc_TypeError, "settle(key: bytes | None)");
        return NULL;
    }
    if (PyBytes_GET_SIZE(key) == KEY_LEN) {
        Slot *s = find(w, (const uint8_t *)PyBytes_AS_STRING(key));
        if (s != NULL) {
            if (fold(s) < 0)
                return NULL;
            drop(w, s);
        }
    }
    Py_RETURN_NONE;
}

/* release(): every held count given to its entry, and every entry forgotten. */
static PyObject *Walker_release(Walker *w, PyObject *unused)
{
    int failed = settle_all(w);
    for (size_t i = 0; i <= w->mask; i++)
        Py_CLEAR(w->slots[i].entry);
    memset(w->slots, 0, (w->mask + 1) * sizeof(Slot));
    w->used = 0;
    if (failed < 0)
        return NULL;
    Py_RETURN_NONE;
}

/* take() -> (records, wire octets) consumed since the last take. */
static PyObject *Walker_take(Walker *w, PyObject *unused)
{
    PyObject *result = Py_BuildValue("(LL)", w->packets, w->octets);
    w->packets = w->octets = 0;
    return result;
}

static int Walker_init(Walker *w, PyObject *args, PyObject *kwargs)
{
    static char *names[] = {"little", "scale", "linktype", "max_record", NULL};
    int little, linktype;
    double scale;
    unsigned long max_record;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "pdik", names, &little, &scale, &linktype, &max_record))
        return -1;
    w->little = little;
    w->scale = scale;
    w->ethernet = linktype == 1;
    w->max_record = max_record;
    if (w->slots == NULL) {
        w->slots = PyMem_Calloc(1024, sizeof(Slot));
        if (w->slots == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        w->mask = 1023;
    }
    return 0;
}

static void Walker_dealloc(Walker *w)
{
    if (w->slots != NULL) {
        for (size_t i = 0; i <= w->mask; i++)
            Py_CLEAR(w->slots[i].entry);
        PyMem_Free(w->slots);
    }
    Py_TYPE(w)->tp_free((PyObject *)w);
}

static PyMethodDef Walker_methods[] = {
    {"step", (PyCFunction)(void (*)(void))Walker_step, METH_FASTCALL,
     "step(buf, pos, entries, next_sweep) -> (code, pos, ts, frame, common)"},
    {"step_block", (PyCFunction)(void (*)(void))Walker_step_block, METH_FASTCALL,
     "step_block(ring, pos, left, entries, next_sweep) -> (code, pos, left, ts, frame, common, header)"},
    {"step_pcapng", (PyCFunction)(void (*)(void))Walker_step_pcapng, METH_FASTCALL,
     "step_pcapng(buf, pos, entries, next_sweep, little, interfaces) -> (code, pos, ts, frame, common, linktype)"},
    {"settle", (PyCFunction)Walker_settle, METH_O, "settle(key or None): held counts given to entries"},
    {"release", (PyCFunction)Walker_release, METH_NOARGS, "release(): settle(None), then forget every entry"},
    {"take", (PyCFunction)Walker_take, METH_NOARGS, "take() -> (records, wire octets) since the last take"},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject WalkerType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "collectors.batch._kernel.Walker",
    .tp_basicsize = sizeof(Walker),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Walker(little, scale, linktype, max_record): a classic pcap record walk, settled streams counted.",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Walker_init,
    .tp_dealloc = (destructor)Walker_dealloc,
    .tp_methods = Walker_methods,
};

static struct PyModuleDef kernel_module = {
    PyModuleDef_HEAD_INIT, "_kernel", "The compiled record walk of collectors.batch.kernel.", -1, NULL,
};

PyMODINIT_FUNC PyInit__kernel(void)
{
    if (PyType_Ready(&WalkerType) < 0)
        return NULL;
    str_packets = PyUnicode_InternFromString("packets");
    str_octets = PyUnicode_InternFromString("octets");
    str_last = PyUnicode_InternFromString("last");
    str_ssrc_bytes = PyUnicode_InternFromString("ssrc_bytes");
    str_pt = PyUnicode_InternFromString("pt");
    if (!str_packets || !str_octets || !str_last || !str_ssrc_bytes || !str_pt)
        return NULL;
    PyObject *module = PyModule_Create(&kernel_module);
    if (module == NULL)
        return NULL;
    Py_INCREF(&WalkerType);
    if (PyModule_AddObject(module, "Walker", (PyObject *)&WalkerType) < 0) {
        Py_DECREF(&WalkerType);
        Py_DECREF(module);
        return NULL;
    }
    if (PyModule_AddIntConstant(module, "FRAME", FRAME) < 0 || PyModule_AddIntConstant(module, "SWEEP", SWEEP) < 0
        || PyModule_AddIntConstant(module, "END", END) < 0 || PyModule_AddIntConstant(module, "DAMAGED", DAMAGED) < 0
        || PyModule_AddIntConstant(module, "VLAN", VLAN) < 0 || PyModule_AddIntConstant(module, "OUTSIDE", OUTSIDE) < 0
        || PyModule_AddIntConstant(module, "BLOCK", BLOCK) < 0) {
        Py_DECREF(module);
        return NULL;
    }
    return module;
}
