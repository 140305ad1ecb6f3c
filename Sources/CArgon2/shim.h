// Debian's libargon2 (libargon2-dev), linked dynamically: argon2id password hashes as
// mosquitto 2.1 writes them ($argon2id$v=19$m=...,t=...,p=...$salt$hash).
#ifndef PERCH_CARGON2_SHIM_H
#define PERCH_CARGON2_SHIM_H
#include <argon2.h>
#endif
