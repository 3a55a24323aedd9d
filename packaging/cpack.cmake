# The Debian package of ypa (docs/packaging.md): `cpack -G DEB` in the build folder, or the `package` target,
# writes ypa_<version>_<arch>.deb with /usr/bin/ypa, its man page, the systemd units ypa-schedule and
# ypa-serve (installed, not enabled) and the conffile /etc/ypa/ypa.env. Included from the top-level
# CMakeLists.txt after the install rule of the binary.

set(ypa_packaging_dir ${CMAKE_CURRENT_LIST_DIR})

# The man page, from the built binary's --help (packaging/make_man.py runs help2man). `cmake --install` puts
# it under <prefix>/share/man/man1 as well.
find_program(YPA_HELP2MAN help2man)
find_program(YPA_PYTHON3 NAMES python3 PATHS /usr/bin NO_DEFAULT_PATH)  # Debian's, as the tests use
find_program(YPA_PYTHON3 NAMES python3)
if(YPA_HELP2MAN AND YPA_PYTHON3)
  set(ypa_man_page ${PROJECT_BINARY_DIR}/ypa.1.gz)
  add_custom_command(
    OUTPUT ${ypa_man_page}
    COMMAND ${YPA_PYTHON3} ${ypa_packaging_dir}/make_man.py --ypa $<TARGET_FILE:ypa>
            --help2man ${YPA_HELP2MAN} --output ${ypa_man_page}
    DEPENDS ypa ${ypa_packaging_dir}/make_man.py
    COMMENT "Generating the man page ypa.1.gz from ypa --help"
    VERBATIM)
  add_custom_target(ypa_man ALL DEPENDS ${ypa_man_page})
  install(FILES ${ypa_man_page} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
else()
  message(WARNING "help2man or python3 not found: no man page, and the Debian package lacks ypa.1 "
                  "(scripts/install-deps.sh installs both)")
endif()

# Absolute destinations: the package puts them at these paths whatever the prefix (Debian 12's systemd looks
# in /lib/systemd/system for packaged units).
install(FILES ${ypa_packaging_dir}/ypa-schedule.service ${ypa_packaging_dir}/ypa-serve.service
        DESTINATION /lib/systemd/system COMPONENT package EXCLUDE_FROM_ALL)
# 0600: it is meant to hold passwords (systemd reads it as root before the service starts).
install(FILES ${ypa_packaging_dir}/ypa.env DESTINATION /etc/ypa PERMISSIONS OWNER_READ OWNER_WRITE
        COMPONENT package EXCLUDE_FROM_ALL)
install(FILES ${ypa_packaging_dir}/copyright DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/doc/ypa
        COMPONENT package EXCLUDE_FROM_ALL)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME ypa)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "ypa-engine maintainers <ypa-engine@localhost>" CACHE STRING
    "Maintainer field of the Debian package (Name <email>)")
# Debian wants a changelog beside the copyright (lintian: no-changelog): one entry for this version,
# compressed without a timestamp so that the package is the same from build to build.
configure_file(${ypa_packaging_dir}/changelog.in ${PROJECT_BINARY_DIR}/packaging/changelog @ONLY)
find_program(YPA_GZIP gzip REQUIRED)
add_custom_command(
  OUTPUT ${PROJECT_BINARY_DIR}/packaging/changelog.gz
  COMMAND ${YPA_GZIP} -9nf --keep ${PROJECT_BINARY_DIR}/packaging/changelog
  DEPENDS ${PROJECT_BINARY_DIR}/packaging/changelog
  COMMENT "Compressing the package's changelog"
  VERBATIM)
add_custom_target(ypa_changelog ALL DEPENDS ${PROJECT_BINARY_DIR}/packaging/changelog.gz)
install(FILES ${PROJECT_BINARY_DIR}/packaging/changelog.gz DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/doc/ypa
        COMPONENT package EXCLUDE_FROM_ALL)
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "iPhone buy-back price pipeline: PostgreSQL to ClickHouse, runs and REST API")
# One string (separate arguments would join with ';'); CPack indents each line, an empty one becomes " .".
# Lines under 80 characters once CPack has indented them (lintian's limit).
string(CONCAT CPACK_DEBIAN_PACKAGE_DESCRIPTION
    "ypa turns scraped iPhone buy-back prices (PostgreSQL) into aligned,\n"
    "aggregated and feature-rich time series in ClickHouse, with versioned\n"
    "runs (list, compare, promote, drop), a live loop (ypa schedule) and a\n"
    "Django REST Framework-compatible API and dashboard (ypa serve).\n"
    "\n"
    "The systemd units ypa-schedule and ypa-serve are installed but not\n"
    "enabled; their settings live in /etc/ypa/ypa.env.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)  # the build keeps debug info (RelWithDebInfo); the package does not
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # ypa_<version>_<arch>.deb
set(CPACK_DEBIAN_PACKAGE_SECTION database)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# Depends from the shared libraries ypa links (dpkg-shlibdeps: libpq5, libfmt9, libspdlog1.10, ...).
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# `ypa stack` (demos and tests) runs these servers; production talks to servers of its own.
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "postgresql-15, clickhouse-server")
# /etc/ypa/ypa.env is a conffile: kept (with the admin's edits) on upgrade and removal, deleted by purge.
# No postinst: nothing is enabled or started at install, and no user is made (the units use DynamicUser).
# prerm stops and disables the units on removal, postrm reloads systemd after it.
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${ypa_packaging_dir}/conffiles ${ypa_packaging_dir}/prerm
    ${ypa_packaging_dir}/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
# One package of both components: the plain install (binary, man page) and "package" (units, conffile,
# copyright), which `cmake --install` leaves out since its paths are absolute (it would write to /etc even
# with --prefix).
set(CPACK_INSTALL_CMAKE_PROJECTS "${PROJECT_BINARY_DIR};ypa;Unspecified;/" "${PROJECT_BINARY_DIR};ypa;package;/")
set(CPACK_PACKAGE_DIRECTORY ${PROJECT_BINARY_DIR}/package)
include(CPack)
