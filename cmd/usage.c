/* SPDX-License-Identifier: MIT */
/*
 * ringcp --help: one screen; the whole story is the man page (ringcp.1).
 */
#include "cmd.h"

void rc_cmd_usage(FILE *f)
{
	fprintf(f,
"Usage: ringcp [-n] [-T] [--remove-destination] SRC DST    (cp: one file)\n"
"       ringcp SRC... DIR                                  (cp: into DIR)\n"
"       ringcp -a|-r [OPTIONS] SRC... DST                  (rsync -a)\n"
"With no tree option ringcp is cp without -p: an existing DST keeps its mode,\n"
"owner and hard links, holes are kept; -n no-clobber, -T DST is not a dir.\n"
"With a tree option the flags and a trailing '/' on SRC mean what they mean\n"
"to rsync.  A final name never holds a partial copy; a rerun completes one.\n"
"\n"
"  -a -r -l -p -t -g -o -D -H -X -A   rsync's archive flags (--no-OPTION too)\n"
"  -n, --dry-run    (with a tree option)   -v, --verbose   -q, --quiet\n"
"  -u, --update     -c, --checksum         --ignore-existing\n"
"  -x, --one-file-system  --numeric-ids    -h, --human-readable\n"
"  --delete, --delete-excluded             --exclude=P  --include=P\n"
"  --filter='+ P'|'- P'   --exclude-from=F  --include-from=F\n"
"  --link-dest=DIR  --files-from=FILE  --from0  -i, --itemize-changes\n"
"  --progress (--info=progress2)  -P  --stats  --json[=FILE]  --partial\n"
"  -Q, --queue-depth=N   reads and writes in flight per file (default %u)\n"
"  -B, --block-size=SIZE bytes per read or write, 4K to 64M (default %uK)\n"
"  --files-in-flight=N   files copied at once (default %u, max %u)\n"
"  --memory=SIZE         block buffers in flight, all files together:\n"
"                        files wait for room (default %lluM; 4K to %lluG;\n"
"                        one block always goes)\n"
"  --fsync  --no-fallocate  --buffers=heap|pool|fixed|ring (default "
RC_COPY_DEFAULT_BUFFERS ";\n"
"                        read/write only: splice uses no buffer)\n"
"  --data=readwrite|splice|auto  how bytes move: read+write (two copies), or\n"
"                        splice through a pipe (one); auto: splice for files\n"
"                        of %uK to %lluM, where it won (default %s)\n"
"  --splice-pairs=N      splices (pipes) in flight, all files (default %u)\n"
"  --reflink[=WHEN]      clone file data (FICLONE), cp's meaning: never,\n"
"                        auto (default, both modes: clone where source and\n"
"                        destination filesystem can, else copy), always\n"
"                        (a file that cannot be cloned fails); alone:\n"
"                        always.  rsync never clones; the bytes are the same\n"
"  --direct[=WHEN]       write data with O_DIRECT, not via the page cache:\n"
"                        never, auto (files of %lluM+ with --fsync), always;\n"
"                        alone: always (default %s: measured faster)\n"
"  --no-io-uring         the synchronous fallback (used where io_uring\n"
"                        cannot be set up, with a notice)\n"
"  --help, -h alone      this help;  -V, --version\n"
"\n"
"Exit status: single-file mode is cp's: 0 copied, 1 any error, 20 signal.\n"
"With a tree option, rsync's:\n"
"  0   everything was copied\n"
"  1   usage error (bad option or operands, SRC into itself)\n"
"  4   no copy engine could be set up (the message says why)\n"
"  20  interrupted by SIGINT, SIGTERM or SIGHUP (nothing partial is left)\n"
"  23  something was not copied (each message names the path and error)\n"
"  24  some source files vanished during the copy (nothing else failed)\n"
"\n"
"Errors: \"ringcp: <what> 'PATH': <error>\".  Full manual: man ringcp\n",
		RC_COPY_DEFAULT_QD, RC_COPY_DEFAULT_BS / 1024,
		RC_TREE_DEFAULT_FILES, RC_TREE_MAX_FILES,
		(unsigned long long)(RC_COPY_DEFAULT_MEMORY >> 20),
		(unsigned long long)(RC_COPY_MAX_MEMORY >> 30),
		RC_SPLICE_AUTO_MIN_BYTES / 1024,
		(unsigned long long)(RC_SPLICE_AUTO_MAX_BYTES >> 20),
		rc_data_path_name(RC_DATA_DEFAULT), RC_SPLICE_DEFAULT_PAIRS,
		(unsigned long long)(RC_DIRECT_AUTO_MIN_BYTES >> 20),
		rc_direct_name(RC_DIRECT_DEFAULT));
}
