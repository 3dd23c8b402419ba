/* main.c — the stand-alone gqc-genmodel executable (for development; the
 * driver exposes the same thing as `gqc gen-model`). */
#include "tools/genmodel/genmodel.h"

int main(int argc, char **argv) {
  return gqc_genmodel_main(argc, argv);
}
