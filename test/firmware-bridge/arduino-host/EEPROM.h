// Host stand-in for the AVR EEPROM library: a byte array that survives "reboots" within one run.
#ifndef EEPROM_HOST_STUB_H
#define EEPROM_HOST_STUB_H
#include <string.h>
struct HostEeprom {
  unsigned char mem[1024] = {0};
  template <typename T> T& get(int at, T& v) {
    memcpy(&v, mem + at, sizeof v);
    return v;
  }
  template <typename T> const T& put(int at, const T& v) {
    memcpy(mem + at, &v, sizeof v);
    return v;
  }
};
inline HostEeprom EEPROM;
#endif
