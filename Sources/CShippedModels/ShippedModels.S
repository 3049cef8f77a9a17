// Embeds each shipped model file with .incbin; paths are relative to models/, which Package.swift puts on the
// include path. Each `shipped` line adds the file's bytes and one braid_shipped_file entry to the table between
// braid_shipped_files and braid_shipped_files_end. scripts/train-models retouches this file after writing weights,
// because the build does not see .incbin's inputs change.

#if defined(__APPLE__)
#define BYTES_SECTION .section __TEXT,__const
#define TABLE_SECTION .section __DATA,__const
#define SYMBOL(name) _##name
#else
#define BYTES_SECTION .section .rodata
#define TABLE_SECTION .section .data.rel.ro,"aw"
#define SYMBOL(name) name
#endif

.macro shipped file
    BYTES_SECTION
    .balign 64
9001:
    .incbin "\file"
9002:
9003:
    .asciz "\file"
    TABLE_SECTION
    .balign 8
    .quad 9003b, 9001b, 9002b
.endm

    TABLE_SECTION
    .balign 8
    .global SYMBOL(braid_shipped_files)
SYMBOL(braid_shipped_files):

// The table: one line per file.
    shipped "handwritten-digits/config.json"
    shipped "handwritten-digits/model.safetensors"
    shipped "handwritten-digits/training.json"
    shipped "handwritten-digits-robust/config.json"
    shipped "handwritten-digits-robust/model.safetensors"
    shipped "handwritten-digits-robust/training.json"
    shipped "spoken-digits/config.json"
    shipped "spoken-digits/model.safetensors"
    shipped "spoken-digits/training.json"
    shipped "digits-ae/config.json"
    shipped "digits-ae/model.safetensors"
    shipped "digits-ae/training.json"
    shipped "digits-dae/config.json"
    shipped "digits-dae/model.safetensors"
    shipped "digits-dae/training.json"
    shipped "digits-vae/config.json"
    shipped "digits-vae/model.safetensors"
    shipped "digits-vae/training.json"
    shipped "digits-vqvae/config.json"
    shipped "digits-vqvae/model.safetensors"
    shipped "digits-vqvae/training.json"
    shipped "digits-vqvae/prior/config.json"
    shipped "digits-vqvae/prior/model.safetensors"
    shipped "digits-vqvae/prior/training.json"
    shipped "digits-diffusion/config.json"
    shipped "digits-diffusion/model.safetensors"
    shipped "digits-diffusion/training.json"
    shipped "digit-captions/config.json"
    shipped "digit-captions/tokenizer.json"
    shipped "digit-captions/model.safetensors"
    shipped "digit-captions/training.json"
    shipped "digits-fusion-early/config.json"
    shipped "digits-fusion-early/model.safetensors"
    shipped "digits-fusion-early/training.json"
    shipped "digits-fusion-late/config.json"
    shipped "digits-fusion-late/model.safetensors"
    shipped "digits-fusion-late/training.json"
    shipped "digits-fusion-cross/config.json"
    shipped "digits-fusion-cross/model.safetensors"
    shipped "digits-fusion-cross/training.json"

    TABLE_SECTION
    .global SYMBOL(braid_shipped_files_end)
SYMBOL(braid_shipped_files_end):

#if defined(__ELF__)
    .section .note.GNU-stack,"",@progbits
#endif
