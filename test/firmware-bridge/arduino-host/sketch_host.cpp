// Runs stele_board.ino on the host against scripted time and serial input, and prints what it sent as hex,
// one line per step, for test/firmware-bridge/cpp-vectors.test.ts to decode with the TypeScript decoder.
//
// stdin: one command per line
//   pin <n> <value>      set a pin reading
//   run <ms>             advance time 1 ms at a time, calling loop() each ms
//   rx <hex>             queue bytes for the board to read
//   dump                 print "tx <hex>" of everything sent since the last dump ("tx -" when nothing)
#include <iostream>
#include <sstream>
#include <string>

#include "Arduino.h"
#include "EEPROM.h"
#include "stele_board.ino"

int main() {
  setup();
  std::string line;
  while (std::getline(std::cin, line)) {
    std::istringstream in(line);
    std::string cmd;
    in >> cmd;
    if (cmd == "pin") {
      int pin = 0, value = 0;
      in >> pin >> value;
      host::pins[pin] = value;
    } else if (cmd == "run") {
      unsigned long ms = 0;
      in >> ms;
      for (unsigned long i = 0; i < ms; i++) {
        host::now_ms++;
        loop();
      }
    } else if (cmd == "rx") {
      std::string hex;
      in >> hex;
      for (size_t i = 0; i + 1 < hex.size(); i += 2) host::rx.push_back(static_cast<uint8_t>(std::stoul(hex.substr(i, 2), nullptr, 16)));
    } else if (cmd == "dump") {
      static const char* d = "0123456789abcdef";
      std::string s;
      for (uint8_t b : host::tx) {
        s += d[b >> 4];
        s += d[b & 15];
      }
      host::tx.clear();
      std::cout << "tx " << (s.empty() ? "-" : s) << std::endl;
    }
  }
  return 0;
}
