#ifndef BRAID_SHIPPED_MODELS_H
#define BRAID_SHIPPED_MODELS_H

// The files of the models in the repository's models/ folder, compiled into the binary (ShippedModels.S), so that
// `braid` finds them by name wherever it is copied or run from.

struct braid_shipped_file {
    // "MODEL/FILE", e.g. "handwritten-digits/config.json".
    const char *name;
    const unsigned char *start;
    const unsigned char *end;
};

extern const struct braid_shipped_file braid_shipped_files[];
extern const struct braid_shipped_file braid_shipped_files_end[];

// The table and its length, as functions: Swift cannot import arrays of unknown size.
static inline const struct braid_shipped_file *braid_shipped_file_table(void) { return braid_shipped_files; }
static inline long braid_shipped_file_count(void) { return braid_shipped_files_end - braid_shipped_files; }

#endif
