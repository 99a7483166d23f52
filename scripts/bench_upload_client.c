// Small-upload load for scripts/bench-http.sh: N uploads of distinct bodies over C keep-alive
// connections, one request in flight per connection (no pipelining), from one thread with epoll;
// prints uploads per second.
//
//   bench_upload_client ours     HOST PORT TOKEN N C BODIES            POST /v1/namespaces/bench/blobs
//   bench_upload_client registry HOST PORT -     N C BODIES DIGESTS    POST /v2/bench/smallK/blobs/uploads/
//                                                                      then PUT LOCATION&digest=
//
// BODIES holds N bodies of 4,096 bytes back to back; DIGESTS their "sha256:…" digests, one a line
// (scripts/bench-http.sh writes both, new bytes for every run, so no server holds one already).
//
// Why it exists: the Python client (bench_http_client.py ours|registry) spends about 0.1 ms of CPU
// per upload, some 14% of this 2-core machine while a fast server answers 2,400 uploads a second,
// and the server then lacks it. This does the same requests (the same paths, headers and bodies;
// anything but 201, or 202 for an upload's start, fails the run) for a few percent of a core. Both
// peers are measured with it in the same run.
#include "bench_client.h"
#include <strings.h>

enum { body_size = 4096 };

struct connection {
    int fd;
    long upload;            // the index of its upload in flight
    int step;               // 1: the upload's first request; 2: the registry's PUT
    char pending[16384];    // the unfinished response
    size_t length;
};

static const char *host, *port, *token;
static int registry;
static char *bodies;
static char **digests;

// A request head followed by the upload's body (none when `with_body` is 0).
static void send_request(struct connection *c, const char *head, int head_length, int with_body) {
    if (head_length < 0 || (size_t)head_length >= 2048) refuse("a request head over 2 KiB");
    char request[2048 + body_size];
    memcpy(request, head, (size_t)head_length);
    size_t length = (size_t)head_length;
    if (with_body) {
        memcpy(request + length, bodies + (size_t)c->upload * body_size, body_size);
        length += body_size;
    }
    send_all(c->fd, request, length);
}

static void start_upload(struct connection *c, long upload) {
    char head[2048];
    c->upload = upload;
    c->step = 1;
    if (registry) {
        int n = snprintf(head, sizeof head,
            "POST /v2/bench/small%ld/blobs/uploads/ HTTP/1.1\r\nHost: %s:%s\r\nContent-Length: 0\r\n\r\n",
            upload % 16, host, port);
        send_request(c, head, n, 0);
    } else {
        int n = snprintf(head, sizeof head,
            "POST /v1/namespaces/bench/blobs HTTP/1.1\r\nHost: %s:%s\r\nAuthorization: Bearer %s\r\n"
            "Content-Type: application/octet-stream\r\nContent-Length: %d\r\n\r\n",
            host, port, token, body_size);
        send_request(c, head, n, 1);
    }
}

// The registry's PUT that ends an upload, to the path (and query) of its Location answer.
static void finish_upload(struct connection *c, const char *location, size_t location_length) {
    // An absolute Location keeps only its path and query.
    const char *path = location;
    if (location_length > 7 && strncasecmp(location, "http", 4) == 0) {
        const char *scheme_end = memmem(location, location_length, "://", 3);
        const char *slash = scheme_end ? memchr(scheme_end + 3, '/', location_length - (size_t)(scheme_end + 3 - location)) : NULL;
        if (!slash) refuse("a Location without a path");
        location_length -= (size_t)(slash - location);
        path = slash;
    }
    char head[2048];
    int n = snprintf(head, sizeof head,
        "PUT %.*s%sdigest=%s HTTP/1.1\r\nHost: %s:%s\r\nContent-Type: application/octet-stream\r\nContent-Length: %d\r\n\r\n",
        (int)location_length, path, memchr(path, '?', location_length) ? "&" : "?", digests[c->upload], host, port, body_size);
    c->step = 2;
    send_request(c, head, n, 1);
}

// The value of header `name` in a response head (case-insensitive), or NULL.
static const char *header_value(const char *head, size_t head_length, const char *name, size_t *value_length) {
    size_t name_length = strlen(name);
    const char *line = memmem(head, head_length, "\r\n", 2);
    const char *end = head + head_length;
    while (line && line + 2 < end) {
        line += 2;
        const char *line_end = memmem(line, (size_t)(end - line), "\r\n", 2);
        if (!line_end) line_end = end;
        if ((size_t)(line_end - line) > name_length && line[name_length] == ':' && strncasecmp(line, name, name_length) == 0) {
            const char *value = line + name_length + 1;
            while (value < line_end && (*value == ' ' || *value == '\t')) value++;
            const char *value_end = line_end;
            while (value_end > value && (value_end[-1] == ' ' || value_end[-1] == '\t')) value_end--;
            *value_length = (size_t)(value_end - value);
            return value;
        }
        line = line_end;
    }
    return NULL;
}

static char *read_file(const char *path, size_t *size) {
    FILE *file = fopen(path, "rb");
    if (!file) fail(path);
    if (fseek(file, 0, SEEK_END) != 0) fail(path);
    long length = ftell(file);
    if (length < 0) fail(path);
    rewind(file);
    char *bytes = malloc((size_t)length + 1);
    if (!bytes || fread(bytes, 1, (size_t)length, file) != (size_t)length) fail(path);
    bytes[length] = 0;
    fclose(file);
    *size = (size_t)length;
    return bytes;
}

int main(int argc, char **argv) {
    client_name = "bench_upload_client";
    if (argc < 8 || (strcmp(argv[1], "ours") != 0 && strcmp(argv[1], "registry") != 0)
        || (strcmp(argv[1], "registry") == 0 && argc != 9) || (strcmp(argv[1], "ours") == 0 && argc != 8)) {
        fprintf(stderr, "usage: bench_upload_client ours HOST PORT TOKEN N C BODIES\n"
                        "       bench_upload_client registry HOST PORT - N C BODIES DIGESTS\n");
        return 2;
    }
    registry = strcmp(argv[1], "registry") == 0;
    host = argv[2]; port = argv[3]; token = argv[4];
    long total = atol(argv[5]), concurrency = atol(argv[6]);
    if (total <= 0 || concurrency <= 0) { fprintf(stderr, "bench_upload_client: N and C must be positive\n"); return 2; }

    size_t size;
    bodies = read_file(argv[7], &size);
    if (size < (size_t)total * body_size) { fprintf(stderr, "bench_upload_client: %s holds fewer than %ld bodies\n", argv[7], total); return 2; }
    if (registry) {
        char *listing = read_file(argv[8], &size);
        digests = calloc((size_t)total, sizeof *digests);
        char *line = listing;
        for (long i = 0; i < total; i++) {
            char *next = line ? strchr(line, '\n') : NULL;
            if (!line || !next) { fprintf(stderr, "bench_upload_client: %s holds fewer than %ld digests\n", argv[8], total); return 2; }
            *next = 0;
            digests[i] = line;
            line = next + 1;
        }
    }

    struct addrinfo *address = resolve(host, port);

    long connections = concurrency < total ? concurrency : total;
    struct connection *all = calloc((size_t)connections, sizeof *all);
    int poll = epoll_create1(0);
    if (poll < 0) fail("epoll_create1");
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    long started = 0, done = 0;
    for (long i = 0; i < connections; i++) {
        struct connection *c = &all[i];
        c->fd = open_connection(address, poll, c);
        start_upload(c, started++);
    }

    struct epoll_event events[256];
    while (done < total) {
        int ready = wait_ready(poll, events, 256);
        for (int e = 0; e < ready; e++) {
            struct connection *c = events[e].data.ptr;
            size_t got = receive(c->fd, c->pending + c->length, sizeof c->pending - c->length);
            if (got == 0) continue;
            c->length += got;
            char *head_end;
            while ((head_end = memmem(c->pending, c->length, "\r\n\r\n", 4)) != NULL) {
                size_t head_length = (size_t)(head_end - c->pending), value_length;
                if (header_value(c->pending, head_length, "transfer-encoding", &value_length)) {
                    fprintf(stderr, "bench_upload_client: a chunked answer (not read by this client)\n");
                    return 1;
                }
                const char *length_value = header_value(c->pending, head_length, "content-length", &value_length);
                size_t body_length = length_value ? (size_t)strtoul(length_value, NULL, 10) : 0;
                size_t used = head_length + 4 + body_length;
                if (used > sizeof c->pending) { fprintf(stderr, "bench_upload_client: an answer over 16 KiB\n"); return 1; }
                if (c->length < used) break;
                int expected = registry && c->step == 1 ? 202 : 201;
                if (c->length < 12 || strncmp(c->pending, "HTTP/1.1 ", 9) != 0 || atoi(c->pending + 9) != expected) {
                    fprintf(stderr, "bench_upload_client: upload %ld failed: %.12s\n", c->upload, c->pending);
                    return 1;
                }
                if (expected == 202) {
                    const char *location = header_value(c->pending, head_length, "location", &value_length);
                    if (!location) { fprintf(stderr, "bench_upload_client: a 202 without Location\n"); return 1; }
                    char copy[2048];
                    if (value_length >= sizeof copy) { fprintf(stderr, "bench_upload_client: a Location over 2 KiB\n"); return 1; }
                    memcpy(copy, location, value_length);
                    memmove(c->pending, c->pending + used, c->length - used);
                    c->length -= used;
                    finish_upload(c, copy, value_length);
                    continue;
                }
                memmove(c->pending, c->pending + used, c->length - used);
                c->length -= used;
                done++;
                if (started < total) start_upload(c, started++);
            }
            if (c->length == sizeof c->pending) { fprintf(stderr, "bench_upload_client: an answer over 16 KiB\n"); return 1; }
        }
    }
    double elapsed = seconds_since(&start);
    printf("%.0f\n", (double)total / elapsed);
    return 0;
}
