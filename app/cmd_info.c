/* placeholder until the info command lands in this session */
#include "app/cmds.h"
#include "core/log.h"
int sc_cmd_info(int argc, char **argv) { (void)argc; (void)argv; sc_log_error("info: not built yet"); return SC_EXIT_FAIL; }
