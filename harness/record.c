/* SPDX-License-Identifier: MIT */
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "ringcp/ring.h"
#include "record.h"

#ifndef RH_LIBURING_VERSION
#define RH_LIBURING_VERSION "unknown"
#endif

void rh_record_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static void rh_cpu_model(char *out, size_t size)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[512];

	snprintf(out, size, "unknown");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');

		if (strncmp(line, "model name", 10) || !colon)
			continue;
		colon += 2;
		colon[strcspn(colon, "\n")] = '\0';
		snprintf(out, size, "%s", colon);
		break;
	}
	fclose(f);
}

void rh_record_env(FILE *f, const char *in)
{
	struct utsname u;
	char host[256] = "unknown", cpu[256], date[64];
	time_t now = time(NULL);

	uname(&u);
	gethostname(host, sizeof(host) - 1);
	rh_cpu_model(cpu, sizeof(cpu));
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
	fprintf(f, "%s\"env\": {\n%s  \"date\": \"%s\",\n%s  \"hostname\": ",
		in, in, date, in);
	rh_record_string(f, host);
	fprintf(f, ",\n%s  \"kernel\": ", in);
	rh_record_string(f, u.release);
	fprintf(f, ",\n%s  \"machine\": ", in);
	rh_record_string(f, u.machine);
	fprintf(f, ",\n%s  \"cpu\": ", in);
	rh_record_string(f, cpu);
	fprintf(f, ",\n%s  \"cpus\": %ld,\n%s  \"memory_bytes\": %lld,\n", in,
		sysconf(_SC_NPROCESSORS_ONLN), in,
		(long long)sysconf(_SC_PHYS_PAGES) *
			(long long)sysconf(_SC_PAGESIZE));
	fprintf(f, "%s  \"compiler\": ", in);
#ifdef __clang__
	rh_record_string(f, "clang " __clang_version__);
#else
	rh_record_string(f, "gcc " __VERSION__);
#endif
	fprintf(f, ",\n%s  \"liburing\": ", in);
	rh_record_string(f, RH_LIBURING_VERSION);
	fprintf(f, ",\n%s  \"ringcp\": ", in);
	rh_record_string(f, RC_VERSION);
	fprintf(f, "\n%s}", in);
}

static int rh_cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

uint64_t rh_record_percentile(uint64_t *v, size_t n, double p)
{
	size_t i;

	if (!n)
		return 0;
	qsort(v, n, sizeof(*v), rh_cmp_u64);
	i = (size_t)(p / 100.0 * (double)(n - 1) + 0.5);
	return v[i < n ? i : n - 1];
}
