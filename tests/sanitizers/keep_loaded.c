/*
 * Preloaded into knotd by `make check-asan` only (never built into soa.so).
 *
 * knotd dlclose()s soa.so when it shuts down, before LeakSanitizer runs at
 * exit: the module's frames in a leak report would then point into unmapped
 * memory and show as <unknown module> or as a frame of some other library.
 * With dlclose() doing nothing the module stays mapped until exit and its
 * frames are symbolized (module/foo.c:LINE). Modules are reference counted
 * and a reload keeps the library loaded anyway, so nothing else changes:
 * the module's unload callbacks still run, only the unmapping is skipped.
 */

int dlclose(void *handle);

int dlclose(void *handle)
{
	(void)handle;
	return 0;
}
