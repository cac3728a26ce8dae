# Install rules for the files beside the targets (the targets' own rules are next to them), and
# the Debian package CPack builds from them: `scripts/dev package`, or `cpack -G DEB` in build/.
# The layout is described in cmake/InstallDirs.cmake.

set(PACKAGING_GENERATED_DIR ${CMAKE_BINARY_DIR}/packaging)
# cpack (and `make install`) install what is built and do not build `all` first, with every test
# and benchmark: scripts/dev package builds before it packages, and PackageInstallTest, which
# runs cpack while the suite runs, depends on the installed targets.
set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY TRUE)

# ---- share: the shipped policies, the web console, the default roles to copy from ----
install(DIRECTORY ${CMAKE_SOURCE_DIR}/scripts/policy/ DESTINATION ${COMFYGATE_INSTALL_SHAREDIR}/policy)
install(DIRECTORY ${CMAKE_SOURCE_DIR}/share/www/ DESTINATION ${COMFYGATE_INSTALL_SHAREDIR}/www PATTERN .keep EXCLUDE)
install(FILES ${CMAKE_SOURCE_DIR}/etc/groups.json DESTINATION ${COMFYGATE_INSTALL_SHAREDIR})

# ---- the installed properties file ----
# etc/comfygate.properties with every key commented out (`#key = default`): the compiled-in
# defaults stay the defaults, an uncommented line is the operator's own choice, and a key left
# alone follows the defaults of the next version. Only data.dir is set, to the data directory.
file(READ ${CMAKE_SOURCE_DIR}/etc/comfygate.properties _properties)
string(FIND "${_properties}" "\n\n" _header_end)
math(EXPR _header_end "${_header_end} + 1")
string(SUBSTRING "${_properties}" ${_header_end} -1 _properties)
string(REGEX REPLACE "(\n)([a-z][a-z0-9_.-]*[ \t]*=)" "\\1#\\2" _properties "${_properties}")
string(REPLACE "\n#data.dir = ./var\n" "\ndata.dir = ${COMFYGATE_INSTALL_DATA_DIR}\n" _installed "${_properties}")
if(_installed STREQUAL _properties)
  message(FATAL_ERROR "cmake/Packaging.cmake: etc/comfygate.properties no longer has the line 'data.dir = ./var'")
endif()
file(WRITE ${PACKAGING_GENERATED_DIR}/comfygate.properties
"# ${COMFYGATE_INSTALL_CONFIG_FILE}: this installation's settings. comfygate reads this file
# when it is started without --config (the service passes it explicitly).
#
# Every key is listed with its built-in default, commented out: the binary has these defaults
# compiled in. Uncomment a line to change it. Layers above this file: the environment
# (COMFYGATE_ + the key upper-cased, dots as underscores; the service reads
# ${COMFYGATE_INSTALL_CONFDIR}/secrets.env) and --set key=value.
# Booleans accept true/false, yes/no, on/off, 1/0. Lists are comma-separated.
#
# Installed defaults: modules from <prefix>/${COMFYGATE_INSTALL_MODULEDIR}, policies from
# <prefix>/${COMFYGATE_INSTALL_SHAREDIR}/policy (copy them to ${COMFYGATE_INSTALL_CONFDIR}/policy and
# set policy.dir to edit them: files under the prefix are replaced by upgrades).
${_installed}")
install(FILES ${PACKAGING_GENERATED_DIR}/comfygate.properties DESTINATION ${COMFYGATE_INSTALL_CONFDIR})

# ---- the systemd unit ----
configure_file(${CMAKE_SOURCE_DIR}/etc/comfygate.service.in ${PACKAGING_GENERATED_DIR}/comfygate.service @ONLY)
install(FILES ${PACKAGING_GENERATED_DIR}/comfygate.service DESTINATION ${COMFYGATE_INSTALL_UNITDIR})

# ---- the Debian package ----
foreach(script postinst prerm postrm)
  configure_file(${CMAKE_SOURCE_DIR}/cmake/debian/${script}.in ${PACKAGING_GENERATED_DIR}/debian/${script}
                 @ONLY FILE_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE
                                        WORLD_READ WORLD_EXECUTE)
endforeach()
# dpkg keeps an operator's edits of these on upgrade (and asks when both sides changed).
file(WRITE ${PACKAGING_GENERATED_DIR}/debian/conffiles "${COMFYGATE_INSTALL_CONFIG_FILE}\n")

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME comfygate)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "comfygate maintainers <comfygate@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "multi-user gateway and plugin server for ComfyUI")
set(CPACK_PACKAGE_DESCRIPTION
    "comfygate sits in front of ComfyUI so that many people, mobile apps and scripts can share one
GPU box: accounts, roles and permissions, API tokens, per-user isolation, a model-download
queue, and Lua policies. Runs as the comfygate.service systemd unit.")
set(CPACK_PACKAGING_INSTALL_PREFIX ${CMAKE_INSTALL_PREFIX})
set(CPACK_PACKAGE_DIRECTORY ${CMAKE_BINARY_DIR})
set(CPACK_STRIP_FILES TRUE)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# Depends: from the libraries the binary, the kernel library and the modules link
# (dpkg-shlibdeps); the kernel library is the package's own.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS_PRIVATE_DIRS ${CMAKE_BINARY_DIR}/lib)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${PACKAGING_GENERATED_DIR}/debian/postinst ${PACKAGING_GENERATED_DIR}/debian/prerm
    ${PACKAGING_GENERATED_DIR}/debian/postrm ${PACKAGING_GENERATED_DIR}/debian/conffiles)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION TRUE)
include(CPack)
