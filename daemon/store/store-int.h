/* Internal to the store. */
#ifndef KZ_STORE_INT_H
#define KZ_STORE_INT_H

extern const char *const store_migrations[];

#endif
