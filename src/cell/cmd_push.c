/* cell push IMAGE [DESTINATION]: an image of the store to a registry. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/file.h"
#include "commands.h"
#include "registry/push.h"

static void on_event(void *ctx, const struct push_event *ev)
{
	struct progress *p = ctx;
	if (ev->config)
		return;
	switch (ev->kind) {
	case PUSH_EVENT_BLOB_EXISTS:
		progress_set(p, ev->index, ev->digest, "Layer already exists", 0, 0, false);
		break;
	case PUSH_EVENT_BLOB_COMPRESS:
		progress_set(p, ev->index, ev->digest, "Compressing", 0, 0, false);
		break;
	case PUSH_EVENT_BLOB_START:
	case PUSH_EVENT_BLOB_DATA:
		progress_set(p, ev->index, ev->digest, "Pushing", ev->sent, ev->size, true);
		break;
	case PUSH_EVENT_BLOB_MOUNTED:
		progress_set(p, ev->index, ev->digest, "Mounted from another repository", 0, 0, false);
		break;
	case PUSH_EVENT_BLOB_DONE:
		progress_set(p, ev->index, ev->digest, "Pushed", 0, 0, false);
		break;
	case PUSH_EVENT_DONE:
		progress_text(p, "%s: digest: %s", ev->name, ev->digest);
		break;
	case PUSH_EVENT_MANIFEST:
	default:
		break;
	}
}

int cmd_push(const struct global_opts *g, int argc, char **argv)
{
	enum { OPT_FORMAT = 1100, OPT_FORCE, OPT_CHUNK, OPT_DIGESTFILE };
	static const struct option opts[] = {
	    CLI_REGISTRY_OPTIONS,
	    {"compression-format", required_argument, NULL, OPT_FORMAT},
	    {"force-compression", optional_argument, NULL, OPT_FORCE},
	    {"chunk-size", required_argument, NULL, OPT_CHUNK},
	    {"digestfile", required_argument, NULL, OPT_DIGESTFILE},
	    {"quiet", no_argument, NULL, 'q'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	_cleanup_(cli_registry_flags_clear) struct cli_registry_flags rf = {0};
	struct push_opts po = {0};
	const char *digestfile = NULL;
	bool quiet = false, force_given = false;
	int c, r = 0;
	while (r == 0 && (c = getopt_long(argc, argv, "+qh", opts, NULL)) != -1) {
		switch (c) {
		case CLI_OPT_TLS_VERIFY:
		case CLI_OPT_CERT_DIR:
		case CLI_OPT_AUTHFILE:
		case CLI_OPT_CREDS:
			r = cli_registry_flag("push", c, optarg, &rf);
			break;
		case OPT_FORMAT:
			if (strcmp(optarg, "gzip") == 0)
				po.compression = LAYER_COMPRESSION_GZIP;
			else if (strcmp(optarg, "zstd") == 0)
				po.compression = LAYER_COMPRESSION_ZSTD;
			else
				r = cli_usage_error(
				    "push", "--compression-format: \"%s\" is not gzip or zstd", optarg);
			break;
		case OPT_FORCE:
			force_given = true;
			if (cli_bool_arg("--force-compression", optarg, &po.force_compression) < 0)
				r = cli_usage_error(
				    "push", "--force-compression: \"%s\" is not true or false", optarg);
			break;
		case OPT_CHUNK: {
			char *end = NULL;
			unsigned long long v = strtoull(optarg, &end, 10);
			if (end == optarg || *end || v > (1ULL << 32))
				r = cli_usage_error("push", "--chunk-size: \"%s\" is not a size in bytes",
						    optarg);
			po.chunk_size = (size_t)v;
			break;
		}
		case OPT_DIGESTFILE:
			digestfile = optarg;
			break;
		case 'q':
			quiet = true;
			break;
		case 'h':
			cli_print_help(
			    "push", "IMAGE [DESTINATION]",
			    "Push an image to a registry (DESTINATION: another name for it there).",
			    "      --compression-format gzip|zstd  how layers the store keeps "
			    "uncompressed are compressed (default gzip)\n"
			    "      --force-compression[=BOOL]    recompress layers compressed otherwise "
			    "(default: true with --compression-format)\n"
			    "      --chunk-size BYTES            upload in chunks of this size (default: "
			    "one request per blob)\n"
			    "      --digestfile FILE             write the pushed manifest's digest to FILE\n"
			    "  -q, --quiet                       print nothing\n");
			printf("%s", cli_registry_help);
			return 0;
		default:
			r = cli_usage_error("push", "unknown or incomplete option %s", argv[optind - 1]);
			break;
		}
	}
	if (r != 0)
		return r;
	/* As Podman: asking for a format means every layer gets it. */
	if (!force_given && po.compression != LAYER_COMPRESSION_NONE)
		po.force_compression = true;
	if (optind >= argc || argc - optind > 2)
		return cli_usage_error("push", optind >= argc ? "an image to push is needed"
							      : "IMAGE [DESTINATION], no more");
	cell_error *err = NULL;
	_cleanup_(image_store_freep) struct image_store *s = NULL;
	if (cli_open_store(g, &s, &err) < 0)
		return cli_fail(err);
	struct progress *prog = progress_new(quiet);
	po.tls_verify = rf.registry.tls_verify;
	po.certs_dir = rf.registry.certs_dir;
	po.username = rf.registry.username;
	po.password = rf.registry.password;
	po.authfile = rf.registry.authfile;
	po.progress = on_event;
	po.progress_ctx = prog;
	char digest[DIGEST_BUF];
	r = registry_push(s, argv[optind], optind + 1 < argc ? argv[optind + 1] : NULL, &po, digest, &err);
	progress_free(prog);
	if (r < 0)
		return cli_fail(err);
	if (digestfile && (r = write_file_at(AT_FDCWD, digestfile, digest, strlen(digest), 0644)) < 0) {
		cell_error_errno(&err, r, "write %s", digestfile);
		return cli_fail(err);
	}
	return 0;
}
