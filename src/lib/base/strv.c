#include "strv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void strv_free(char **v)
{
	if (!v)
		return;
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
}

size_t strv_length(char *const *v)
{
	size_t n = 0;
	if (v)
		while (v[n])
			n++;
	return n;
}

int strv_push_take(char ***v, char *s)
{
	if (!s)
		return -ENOMEM;
	size_t n = strv_length(*v);
	char **nv = realloc(*v, (n + 2) * sizeof(char *));
	if (!nv) {
		free(s);
		return -ENOMEM;
	}
	nv[n] = s;
	nv[n + 1] = NULL;
	*v = nv;
	return 0;
}

int strv_push(char ***v, const char *s)
{
	return strv_push_take(v, strdup(s));
}

bool strv_contains(char *const *v, const char *s)
{
	if (v)
		for (; *v; v++)
			if (strcmp(*v, s) == 0)
				return true;
	return false;
}

const char *strv_env_get(char *const *env, const char *key)
{
	size_t kl = strlen(key);
	if (env)
		for (; *env; env++)
			if (strncmp(*env, key, kl) == 0 && (*env)[kl] == '=')
				return *env + kl + 1;
	return NULL;
}
