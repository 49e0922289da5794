/*
 * kc_attrs.h: compiler attributes used across the project (nslcd's
 * compat/attrs.h idea). Only GCC and clang are supported compilers.
 */
#ifndef KC_ATTRS_H
#define KC_ATTRS_H

#define KC_MUST_USE          __attribute__((warn_unused_result))
#define KC_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#define KC_NONNULL(...)      __attribute__((nonnull(__VA_ARGS__)))
#define KC_DEAD              __attribute__((noreturn))
#define KC_UNUSED            __attribute__((unused))

#endif /* KC_ATTRS_H */
