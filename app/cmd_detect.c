/* placeholder until the detect command lands in this session */
#include "app/cmds.h"
#include "core/log.h"
int sc_cmd_detect(int argc, char **argv) { (void)argc; (void)argv; sc_log_error("detect: not built yet"); return SC_EXIT_FAIL; }
