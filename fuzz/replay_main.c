/*
 * Replays every file of a corpus directory through a libFuzzer entry point,
 * so the committed corpora run in ctest (and under ASan) without libFuzzer.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int main(int argc, char **argv)
{
    int files = 0;

    for (int a = 1; a < argc; a++) {
        DIR *dir = opendir(argv[a]);
        struct dirent *entry;
        if (dir == NULL) {
            fprintf(stderr, "cannot open corpus directory %s\n", argv[a]);
            return 1;
        }
        while ((entry = readdir(dir)) != NULL) {
            char path[4096];
            if (entry->d_name[0] == '.')
                continue;
            snprintf(path, sizeof(path), "%s/%s", argv[a], entry->d_name);
            FILE *f = fopen(path, "rb");
            if (f == NULL)
                continue;
            fseek(f, 0, SEEK_END);
            long size = ftell(f);
            fseek(f, 0, SEEK_SET);
            uint8_t *bytes = malloc(size > 0 ? (size_t)size : 1);
            size_t got = bytes ? fread(bytes, 1, (size_t)size, f) : 0;
            fclose(f);
            LLVMFuzzerTestOneInput(bytes, got);
            free(bytes);
            files++;
        }
        closedir(dir);
    }
    if (files == 0) {
        fprintf(stderr, "no corpus files found\n");
        return 1;
    }
    printf("%d passed, 0 failed\n", files);
    return 0;
}
