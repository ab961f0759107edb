/* cell pull IMAGE: from a registry into the store; prints the image ID. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "registry/pull.h"

int cmd_pull(const struct global_opts *g, int argc, char **argv)
{
	enum { OPT_PLATFORM = 1100, OPT_ARCH, OPT_OS, OPT_VARIANT };
	static const struct option opts[] = {
	    CLI_REGISTRY_OPTIONS,
	    {"platform", required_argument, NULL, OPT_PLATFORM},
	    {"arch", required_argument, NULL, OPT_ARCH},
	    {"os", required_argument, NULL, OPT_OS},
	    {"variant", required_argument, NULL, OPT_VARIANT},
	    {"quiet", no_argument, NULL, 'q'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	_cleanup_(cli_registry_flags_clear) struct cli_registry_flags rf = {0};
	const char *platform = NULL, *arch = NULL, *os = NULL, *variant = NULL;
	bool quiet = false;
	int c, r;
	while ((c = getopt_long(argc, argv, "+qh", opts, NULL)) != -1) {
		switch (c) {
		case CLI_OPT_TLS_VERIFY:
		case CLI_OPT_CERT_DIR:
		case CLI_OPT_AUTHFILE:
		case CLI_OPT_CREDS:
			if ((r = cli_registry_flag("pull", c, optarg, &rf)) != 0) {
				return r;
			}
			break;
		case OPT_PLATFORM:
			platform = optarg;
			break;
		case OPT_ARCH:
			arch = optarg;
			break;
		case OPT_OS:
			os = optarg;
			break;
		case OPT_VARIANT:
			variant = optarg;
			break;
		case 'q':
			quiet = true;
			break;
		case 'h':
			cli_print_help("pull", "IMAGE", "Pull an image from a registry; print its ID.",
				       "      --platform OS/ARCH[/VARIANT]  the image for this platform of a "
				       "multi-platform one\n"
				       "      --arch, --os, --variant       the same, one part at a time\n"
				       "  -q, --quiet                       print only the image ID\n");
			printf("%s", cli_registry_help);
			return 0;
		default:
			return cli_usage_error("pull", "unknown or incomplete option %s", argv[optind - 1]);
		}
	}
	if (optind + 1 != argc)
		return cli_usage_error("pull",
				       optind >= argc ? "an image to pull is needed" : "one image at a time");
	cell_error *err = NULL;
	struct platform p;
	if (platform && platform_parse(platform, &p, &err) < 0)
		return cli_fail(err);
	if (!platform && (arch || os || variant)) {
		platform_host(&p);
		if (os)
			snprintf(p.os, sizeof(p.os), "%s", os);
		if (arch) {
			snprintf(p.architecture, sizeof(p.architecture), "%s", arch);
			p.variant[0] = '\0';
		}
		if (variant)
			snprintf(p.variant, sizeof(p.variant), "%s", variant);
	}
	_cleanup_(image_store_freep) struct image_store *s = NULL;
	if (cli_open_store(g, &s, &err) < 0)
		return cli_fail(err);
	struct progress *prog = progress_new(quiet);
	struct pull_opts po = {
	    .tls_verify = rf.registry.tls_verify,
	    .certs_dir = rf.registry.certs_dir,
	    .username = rf.registry.username,
	    .password = rf.registry.password,
	    .authfile = rf.registry.authfile,
	    .platform = platform || arch || os || variant ? &p : NULL,
	    .progress = cli_pull_event,
	    .progress_ctx = prog,
	};
	char digest[DIGEST_BUF];
	r = registry_pull(s, argv[optind], &po, digest, &err);
	progress_free(prog);
	if (r < 0)
		return cli_fail(err);
	struct image img;
	if (image_store_lock(s, false, &err) < 0 || image_store_resolve(s, digest, &img, NULL, &err) < 0)
		return cli_fail(err);
	printf("%s\n", digest_hex(img.id));
	image_clear(&img);
	image_store_unlock(s);
	return 0;
}
