/*  Copyright (C) 2026 mod-soa contributors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.

    This program is distributed in the hope that it will be useful,
    but WITHOUT ANY WARRANTY; without even the implied warranty of
    MERCHANTABILITY or FITNESS FOR A PARTICULAR PURPOSE.  See the
    GNU General Public License for more details.

    You should have received a copy of the GNU General Public License
    along with this program.  If not, see <https://www.gnu.org/licenses/>.
 */
/*!
 * \file
 *
 * \brief Damaged state files and the high-water mark.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libknot/libknot.h>

#include "soa/recovery.h"
#include "soa/serial.h"

/*! \brief LMDB's page size on the platforms knotd runs on; two meta pages start a file. */
#define META_PAGES_BYTES (2 * 4096)

off_t soa_recovery_file_size(const char *file)
{
	struct stat sb;
	return stat(file, &sb) == 0 ? sb.st_size : -1;
}

bool soa_recovery_too_short(off_t size)
{
	return size >= 0 && size < META_PAGES_BYTES;
}

bool soa_recovery_complete(off_t size, size_t last_page, size_t page_size)
{
	return size >= (off_t)((last_page + 1) * page_size);
}

int soa_recovery_reserve_lock(const char *lock_file, unsigned readers)
{
	// LMDB needs a 64-byte slot per reader plus a header; generous.
	off_t bytes = (off_t)(readers + 64) * 64;
	int fd = open(lock_file, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
	if (fd < 0) {
		return -errno;
	}
	int rc = posix_fallocate(fd, 0, bytes);
	close(fd);
	return -rc;
}

int soa_recovery_move_aside(const char *file, const char *lock_file, int64_t now,
                            char *aside, size_t len)
{
	(void)snprintf(aside, len, "%s.broken-%lld", file, (long long)now);
	if (rename(file, aside) != 0) {
		return -errno;
	}
	(void)unlink(lock_file);
	return KNOT_EOK;
}

bool soa_recovery_hw_read(const char *file, uint32_t *serial)
{
	FILE *f = fopen(file, "r");
	if (f == NULL) {
		return false;
	}
	unsigned long v;
	bool have = (fscanf(f, "%lu", &v) == 1 && v <= UINT32_MAX);
	fclose(f);
	if (have) {
		*serial = v;
	}
	return have;
}

int soa_recovery_hw_write(const char *file, const char *tmp, uint32_t serial)
{
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd < 0) {
		return -errno;
	}
	char buf[16];
	int n = snprintf(buf, sizeof(buf), "%u\n", serial);
	ssize_t w = write(fd, buf, n);
	// A short write is a full disk too.
	int err = (w == n && fsync(fd) == 0) ? 0 : (w >= 0 && w < n) ? ENOSPC : errno;
	close(fd);
	if (err == 0 && rename(tmp, file) != 0) {
		err = errno;
	}
	if (err != 0) {
		(void)unlink(tmp);
	}
	return -err;
}

uint32_t soa_recovery_bound(uint32_t today, bool have_hw, uint32_t hw)
{
	uint32_t bound = today * 100 + 99;
	return (have_hw && soa_serial_gt(hw, bound)) ? hw : bound;
}
