# The install layout (`cmake --install`, and the Debian package built from it by
# cmake/Packaging.cmake):
#   <prefix>/bin/comfygate
#   <prefix>/lib/comfygate/libcomfygate-kernel.so     private: only the binary and modules link it
#   <prefix>/lib/comfygate/modules/<name>.so
#   <prefix>/share/comfygate/policy/                   the shipped Lua policies (scripts/policy)
#   <prefix>/share/comfygate/www/                      the web console (share/www)
#   <sysconfdir>/comfygate/comfygate.properties        the documented properties, every key commented
#   <localstatedir>/lib/comfygate                      the data directory that file sets
# The prefix defaults to /usr, where the package puts it, so sysconfdir is /etc and localstatedir
# /var (GNUInstallDirs' rule for /usr). kernel/src/app/InstallLayout.cpp gets the directories
# relative to the prefix, so the binary finds its files from its own location wherever the prefix
# is copied.
if(CMAKE_INSTALL_PREFIX_INITIALIZED_TO_DEFAULT)
  set(CMAKE_INSTALL_PREFIX /usr CACHE PATH "installation prefix" FORCE)
endif()
include(GNUInstallDirs)

# Not the multiarch libdir: nothing outside comfygate links the kernel library.
set(COMFYGATE_INSTALL_PRIVATE_LIBDIR lib/comfygate)
set(COMFYGATE_INSTALL_MODULEDIR ${COMFYGATE_INSTALL_PRIVATE_LIBDIR}/modules)
set(COMFYGATE_INSTALL_SHAREDIR ${CMAKE_INSTALL_DATADIR}/comfygate)
set(COMFYGATE_INSTALL_CONFDIR ${CMAKE_INSTALL_FULL_SYSCONFDIR}/comfygate)
set(COMFYGATE_INSTALL_CONFIG_FILE ${COMFYGATE_INSTALL_CONFDIR}/comfygate.properties)
set(COMFYGATE_INSTALL_DATA_DIR ${CMAKE_INSTALL_FULL_LOCALSTATEDIR}/lib/comfygate)
# systemd's unit directory for packages; /usr/local/lib/systemd/system and the like for other
# prefixes (systemd looks there too).
if(CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  set(COMFYGATE_INSTALL_UNITDIR /lib/systemd/system)
else()
  set(COMFYGATE_INSTALL_UNITDIR lib/systemd/system)
endif()

# The binary finds the kernel library next to it; modules find it one level up.
file(RELATIVE_PATH _bin_to_lib ${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_BINDIR}
     ${CMAKE_INSTALL_PREFIX}/${COMFYGATE_INSTALL_PRIVATE_LIBDIR})
set(COMFYGATE_BINARY_INSTALL_RPATH "$ORIGIN/${_bin_to_lib}")
set(COMFYGATE_MODULE_INSTALL_RPATH "$ORIGIN/..")

# InstallLayout.cpp's configuration file: relative when it lies under the prefix (it moves with
# a relocated copy), absolute otherwise (/etc for /usr).
file(RELATIVE_PATH _config_in_prefix ${CMAKE_INSTALL_PREFIX} ${COMFYGATE_INSTALL_CONFIG_FILE})
if(_config_in_prefix MATCHES "^\\.\\./")
  set(COMFYGATE_LAYOUT_CONFIG_FILE ${COMFYGATE_INSTALL_CONFIG_FILE})
else()
  set(COMFYGATE_LAYOUT_CONFIG_FILE ${_config_in_prefix})
endif()
