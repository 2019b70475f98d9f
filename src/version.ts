/** The package version, sent as X-Difyrun-Version and printed by `difyrun --version`. */
export const VERSION = '0.1.0';
