// Host test for stele_frame.h: checks the C++ codec against the shared vectors, so the firmware and the
// TypeScript codec cannot drift apart. test/firmware-bridge/cpp-vectors.test.ts compiles this with
// g++ -std=c++17 -Wall -Wextra -Werror and feeds it the vectors as one line each on stdin:
//
//   V <name> <frame hex> <frame>                       a valid frame: encode must give exactly the hex,
//                                                      decode must give exactly the frame
//   S <name> <stream hex> <n> <frame>*n <crc> <oversize> <malformed>
//                                                      a byte stream: decode must give these frames and counts
//
//   <frame> = H <boot> <seq> <uptime> <flags> <boardId> <firmware> <n> (<name> <unit> <exponent>)*n
//           | D <boot> <seq> <uptime> <held> <n> (<sensor> <raw>)*n
//           | A <boot> <ackSeq> <flags>
//   strings are hex of their UTF-8 bytes, "-" when empty; numbers are decimal.
//
// Prints one line per failure and "ok <count>" at the end; exits non-zero when anything failed.
#include <cstdio>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "stele_frame.h"

namespace {

int failures = 0;

void fail(const std::string& name, const std::string& why) {
  failures++;
  std::cout << "FAIL " << name << ": " << why << "\n";
}

std::vector<uint8_t> from_hex(const std::string& h) {
  std::vector<uint8_t> out;
  if (h == "-") return out;
  for (size_t i = 0; i + 1 < h.size(); i += 2) out.push_back(static_cast<uint8_t>(std::stoul(h.substr(i, 2), nullptr, 16)));
  return out;
}

std::string to_hex(const uint8_t* p, size_t n) {
  static const char* d = "0123456789abcdef";
  std::string s;
  for (size_t i = 0; i < n; i++) {
    s += d[p[i] >> 4];
    s += d[p[i] & 15];
  }
  return s;
}

std::string str_of_hex(const std::string& h) {
  std::vector<uint8_t> b = from_hex(h);
  return std::string(b.begin(), b.end());
}

// A frame as the vector line describes it, in the shape both encoder and parser can be compared with.
struct Expected {
  char type = 0;
  uint32_t boot = 0, seq = 0, uptime = 0, flags = 0, held = 0;
  std::string board_id, firmware;
  std::vector<std::string> names, units;
  std::vector<int> exponents;
  std::vector<stele::Sample> samples;
};

bool read_frame(std::istream& in, Expected& e) {
  in >> e.type;
  size_t n = 0;
  if (e.type == 'H') {
    std::string id, fw;
    in >> e.boot >> e.seq >> e.uptime >> e.flags >> id >> fw >> n;
    e.board_id = str_of_hex(id);
    e.firmware = str_of_hex(fw);
    for (size_t i = 0; i < n; i++) {
      std::string name, unit;
      int exp = 0;
      in >> name >> unit >> exp;
      e.names.push_back(str_of_hex(name));
      e.units.push_back(str_of_hex(unit));
      e.exponents.push_back(exp);
    }
  } else if (e.type == 'D') {
    in >> e.boot >> e.seq >> e.uptime >> e.held >> n;
    for (size_t i = 0; i < n; i++) {
      unsigned sensor = 0;
      long long raw = 0;
      in >> sensor >> raw;
      e.samples.push_back(stele::Sample{static_cast<uint8_t>(sensor), static_cast<int32_t>(raw)});
    }
  } else if (e.type == 'A') {
    in >> e.boot >> e.seq >> e.flags;
  } else {
    return false;
  }
  return static_cast<bool>(in);
}

size_t encode(const Expected& e, uint8_t* out, size_t cap) {
  if (e.type == 'A') return stele::encode_ack(static_cast<uint16_t>(e.boot), e.seq, static_cast<uint8_t>(e.flags), out, cap);
  if (e.type == 'D')
    return stele::encode_data(static_cast<uint16_t>(e.boot), e.seq, e.uptime, static_cast<uint8_t>(e.held), e.samples.data(),
                              static_cast<uint8_t>(e.samples.size()), out, cap);
  std::vector<stele::SensorInfo> sensors;
  for (size_t i = 0; i < e.names.size(); i++)
    sensors.push_back(stele::SensorInfo{e.names[i].c_str(), e.units[i].c_str(), static_cast<int8_t>(e.exponents[i])});
  return stele::encode_hello(static_cast<uint16_t>(e.boot), e.seq, e.uptime, static_cast<uint8_t>(e.flags), e.board_id.c_str(),
                             e.firmware.c_str(), sensors.data(), static_cast<uint8_t>(sensors.size()), out, cap);
}

// Parses a CRC-checked body and compares it with the expectation; returns "" when equal, else why not.
std::string compare(const uint8_t* body, size_t n, const Expected& e) {
  std::ostringstream why;
  uint8_t type = stele::frame_type(body, n);
  if (type == stele::kTypeAck) {
    stele::Ack a;
    if (!stele::parse_ack(body, n, a)) return "ack does not parse";
    if (e.type != 'A' || a.boot != e.boot || a.ack_seq != e.seq || a.flags != e.flags) return "ack fields differ";
    return "";
  }
  if (type == stele::kTypeData) {
    static stele::Data d;
    if (!stele::parse_data(body, n, d)) return "data does not parse";
    if (e.type != 'D' || d.boot != e.boot || d.seq != e.seq || d.uptime_ms != e.uptime || d.held != e.held) return "data header differs";
    if (d.count != e.samples.size()) return "sample count differs";
    for (size_t i = 0; i < d.count; i++)
      if (d.samples[i].sensor != e.samples[i].sensor || d.samples[i].raw != e.samples[i].raw) return "sample differs";
    return "";
  }
  if (type == stele::kTypeHello) {
    static stele::Hello h;
    if (!stele::parse_hello(body, n, h)) return "hello does not parse";
    if (e.type != 'H' || h.boot != e.boot || h.seq != e.seq || h.uptime_ms != e.uptime || h.flags != e.flags) return "hello header differs";
    if (e.board_id != h.board_id || e.firmware != h.firmware) return "board id or firmware differs";
    if (h.count != e.names.size()) return "sensor count differs";
    for (size_t i = 0; i < h.count; i++)
      if (e.names[i] != h.sensors[i].name || e.units[i] != h.sensors[i].unit || e.exponents[i] != h.sensors[i].exponent)
        return "sensor " + std::to_string(i) + " differs";
    return "";
  }
  return "unknown frame type";
}

// Whether a CRC-checked body parses at all: the TypeScript decoder counts the rest as malformed.
bool parses(const uint8_t* body, size_t n) {
  static stele::Hello h;
  static stele::Data d;
  stele::Ack a;
  switch (stele::frame_type(body, n)) {
    case stele::kTypeAck: return stele::parse_ack(body, n, a);
    case stele::kTypeData: return stele::parse_data(body, n, d);
    case stele::kTypeHello: return stele::parse_hello(body, n, h);
    default: return false;
  }
}

struct Counts {
  int crc = 0, oversize = 0, malformed = 0;
};

// Feeds bytes one at a time, as a board's UART interrupt would, and checks each frame in order.
void decode_stream(const std::string& name, const std::vector<uint8_t>& bytes, const std::vector<Expected>& frames, Counts& c) {
  static stele::Decoder<> dec;
  dec.reset();
  size_t got = 0;
  for (uint8_t b : bytes) {
    switch (dec.feed(b)) {
      case stele::kFrame:
        if (!parses(dec.body(), dec.body_len())) {
          c.malformed++;
          break;
        }
        if (got >= frames.size()) {
          fail(name, "decoded an unexpected frame");
        } else {
          std::string why = compare(dec.body(), dec.body_len(), frames[got]);
          if (!why.empty()) fail(name, "frame " + std::to_string(got) + ": " + why);
        }
        got++;
        break;
      case stele::kCrcError: c.crc++; break;
      case stele::kOversize: c.oversize++; break;
      case stele::kMalformed: c.malformed++; break;
      case stele::kNone: break;
    }
  }
  if (got != frames.size()) fail(name, "decoded " + std::to_string(got) + " frames, expected " + std::to_string(frames.size()));
}

}  // namespace

int main() {
  std::string line;
  int checked = 0;
  while (std::getline(std::cin, line)) {
    if (line.empty()) continue;
    std::istringstream in(line);
    char kind = 0;
    std::string name, hex;
    in >> kind >> name >> hex;
    std::vector<uint8_t> bytes = from_hex(hex);
    if (kind == 'V') {
      Expected e;
      if (!read_frame(in, e)) {
        fail(name, "unreadable vector line");
        continue;
      }
      uint8_t out[stele::kMaxFrame];
      size_t n = encode(e, out, sizeof out);
      if (n == 0) fail(name, "encoder refused a valid frame");
      else if (to_hex(out, n) != hex) fail(name, "encoded " + to_hex(out, n) + " expected " + hex);
      // One byte short of room must be refused, never written past.
      if (n > 0 && encode(e, out, n - 1) != 0) fail(name, "encoder ignored its capacity");
      Counts c;
      decode_stream(name, bytes, std::vector<Expected>{e}, c);
      if (c.crc || c.oversize || c.malformed) fail(name, "valid frame counted as an error");
    } else if (kind == 'S') {
      size_t n = 0;
      in >> n;
      std::vector<Expected> frames(n);
      bool ok = static_cast<bool>(in);
      for (size_t i = 0; i < n && ok; i++) ok = read_frame(in, frames[i]);
      Counts want;
      in >> want.crc >> want.oversize >> want.malformed;
      if (!ok || !in) {
        fail(name, "unreadable vector line");
        continue;
      }
      Counts got;
      decode_stream(name, bytes, frames, got);
      if (got.crc != want.crc || got.oversize != want.oversize || got.malformed != want.malformed) {
        std::ostringstream s;
        s << "counts crc/oversize/malformed " << got.crc << "/" << got.oversize << "/" << got.malformed << " expected " << want.crc << "/"
          << want.oversize << "/" << want.malformed;
        fail(name, s.str());
      }
    } else {
      fail(name, "unknown line kind");
      continue;
    }
    checked++;
  }
  std::cout << "ok " << checked << "\n";
  return failures == 0 && checked > 0 ? 0 : 1;
}
