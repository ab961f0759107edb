#include "timefmt.h"

#include <stdio.h>
#include <time.h>

/* The civil date of a day counted from 1970-01-01, proleptic Gregorian: by
 * 400-year eras (146097 days each) of years that start on March 1st, so
 * that the leap day comes last in its year. No gmtime_r(): glibc's loads
 * the time zone database on its first call, which is a file read on every
 * `cell run` for a time that is UTC anyway. */
static void civil(int64_t days, int64_t *y, int *m, int *d)
{
	days += 719468; /* from 0000-03-01 */
	int64_t era = (days >= 0 ? days : days - 146096) / 146097;
	int64_t doe = days - era * 146097;                                   /* [0, 146096] */
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* [0, 399] */
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);               /* [0, 365] */
	int64_t mp = (5 * doy + 2) / 153;                                    /* March = 0 */
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

void rfc3339_from_ns(int64_t ns, char *buf, size_t len)
{
	int64_t secs = ns / 1000000000;
	long frac = (long)(ns % 1000000000);
	if (frac < 0) {
		frac += 1000000000;
		secs--;
	}
	int64_t days = secs / 86400, rem = secs % 86400;
	if (rem < 0) {
		rem += 86400;
		days--;
	}
	int64_t y;
	int m, d;
	civil(days, &y, &m, &d);
	snprintf(buf, len, "%04lld-%02d-%02dT%02d:%02d:%02d.%09ldZ", (long long)y, m, d, (int)(rem / 3600),
		 (int)(rem / 60 % 60), (int)(rem % 60), frac);
}

void rfc3339_now(char *buf, size_t len)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	rfc3339_from_ns((int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec, buf, len);
}
