// Debian's OpenSSL 3 (libssl-dev), linked dynamically. The few OpenSSL "functions" that are
// macros (SSL_CTX_set_mode, SSL_CTX_set_min_proto_version, ...) get static inline wrappers
// here so that Swift can call them.
#ifndef PERCH_COPENSSL_SHIM_H
#define PERCH_COPENSSL_SHIM_H
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <openssl/pem.h>
#include <openssl/bio.h>
#include <openssl/rand.h>
#include <openssl/crypto.h>

static inline long perch_SSL_CTX_set_mode(SSL_CTX *ctx, long mode) { return SSL_CTX_set_mode(ctx, mode); }
static inline long perch_SSL_set_mode(SSL *ssl, long mode) { return SSL_set_mode(ssl, mode); }
static inline int perch_SSL_CTX_set_min_proto_version(SSL_CTX *ctx, int version) {
    return (int)SSL_CTX_set_min_proto_version(ctx, version);
}
static inline long perch_SSL_CTX_set_options(SSL_CTX *ctx, long options) { return (long)SSL_CTX_set_options(ctx, (uint64_t)options); }
static inline int perch_SSL_set_tlsext_host_name(SSL *ssl, const char *name) { return (int)SSL_set_tlsext_host_name(ssl, name); }
static inline long perch_BIO_pending(BIO *bio) { return (long)BIO_pending(bio); }
static inline int perch_SSL_CTX_set_ex_data(SSL_CTX *ctx, int index, void *data) { return SSL_CTX_set_ex_data(ctx, index, data); }
static inline int perch_SSL_CTX_get_ex_new_index(void) { return SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, NULL); }
static inline int perch_SSL_get_ex_new_index(void) { return SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL); }
static inline int perch_BIO_set_mem_eof_return(BIO *bio, int value) { return (int)BIO_set_mem_eof_return(bio, value); }

static inline long perch_SSL_CTX_set_session_cache_mode(SSL_CTX *ctx, long mode) { return SSL_CTX_set_session_cache_mode(ctx, mode); }
static inline unsigned long perch_XN_FLAG_RFC2253(void) { return XN_FLAG_RFC2253; }
static inline long perch_SSL_OP_NO_TICKET(void) { return (long)SSL_OP_NO_TICKET; }
static inline long perch_SSL_OP_NO_RENEGOTIATION(void) { return (long)SSL_OP_NO_RENEGOTIATION; }
static inline int perch_SSL_set1_host(SSL *ssl, const char *host) { return SSL_set1_host(ssl, host); }
static inline long perch_BIO_get_mem_max(BIO *bio) { BUF_MEM *m = NULL; BIO_get_mem_ptr(bio, &m); return m ? (long)m->max : 0; }
static inline int perch_SSL_CTX_set_max_send_fragment(SSL_CTX *ctx, long m) { return (int)SSL_CTX_set_max_send_fragment(ctx, m); }

#endif
