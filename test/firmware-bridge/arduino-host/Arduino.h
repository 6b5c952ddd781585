// Just enough of the Arduino core to build stele_board.ino on the host and drive it from a test: time is a
// variable the harness advances, Serial is two byte queues, pins return what the harness set.
#ifndef ARDUINO_HOST_STUB_H
#define ARDUINO_HOST_STUB_H
#include <stddef.h>
#include <stdint.h>

#include <deque>
#include <vector>

#define A0 14
#define A1 15
#define A2 16
#define INPUT 0
#define INPUT_PULLUP 2

namespace host {
inline unsigned long now_ms = 0;
inline int pins[32] = {0};
inline std::deque<uint8_t> rx;
inline std::vector<uint8_t> tx;
}  // namespace host

inline unsigned long millis() { return host::now_ms; }
inline int analogRead(uint8_t pin) { return host::pins[pin]; }
inline int digitalRead(uint8_t pin) { return host::pins[pin]; }
inline void pinMode(uint8_t, uint8_t) {}

struct HostSerial {
  void begin(unsigned long) {}
  int available() { return static_cast<int>(host::rx.size()); }
  int read() {
    if (host::rx.empty()) return -1;
    uint8_t b = host::rx.front();
    host::rx.pop_front();
    return b;
  }
  size_t write(uint8_t b) {
    host::tx.push_back(b);
    return 1;
  }
  size_t write(const uint8_t* p, size_t n) {
    host::tx.insert(host::tx.end(), p, p + n);
    return n;
  }
};
inline HostSerial Serial;
#endif
