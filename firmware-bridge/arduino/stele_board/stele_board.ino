// Stele line-protocol board: samples the pins configured below and sends them as Stele frames
// (docs/protocol-serial.md). Uno-class: no heap, about 400 bytes of RAM with the defaults.
//
// Unacknowledged frames stay in a small ring and are resent (oldest first) until the gateway acknowledges
// them, so a gateway restart, a USB glitch or a corrupted frame loses nothing the ring still holds.
// Copy ../stele_frame.h next to this file (the Arduino IDE only compiles files in the sketch folder),
// or build with arduino-cli and --library pointing at the folder that holds it.
#include <EEPROM.h>

#include "stele_frame.h"

// ------------------------------------------------------------------------------------------ configuration

static const char kBoardId[] = "uno-1";  // [A-Za-z0-9._:-], at most 32 characters, unique per gateway
static const char kFirmware[] = "stele-0.1.0";
static const unsigned long kBaud = 115200;
static const unsigned long kSampleMs = 1000;  // one DATA frame per interval
static const unsigned long kResendMs = 1500;  // resend unacknowledged frames after this long without progress
static const uint8_t kRing = 8;               // frames kept until acknowledged

// One row per sensor. value = ((reading * mul) / div + offset) * 10^exponent, all integer arithmetic:
// an LM35 on A0 at 5 V gives centi-degrees with mul 50000, div 1024, exponent -2.
struct PinSensor {
  const char* name;
  const char* unit;
  int8_t exponent;
  uint8_t pin;
  bool analog;
  int32_t mul;
  int32_t div;
  int32_t offset;
};

static const PinSensor kSensors[] = {
    {"temp", "\xC2\xB0" "C", -2, A0, true, 50000, 1024, 0},
    {"light", "raw", 0, A1, true, 1, 1, 0},
    {"door", "", 0, 2, false, 1, 1, 0},
};
static const uint8_t kSensorCount = sizeof(kSensors) / sizeof(kSensors[0]);

// ------------------------------------------------------------------------------------------ state

struct Entry {
  uint32_t seq;
  uint32_t uptime;
  int32_t raw[kSensorCount];
};

static Entry ring[kRing];
static uint8_t ring_head = 0;  // index of the oldest entry
static uint8_t ring_len = 0;
static uint32_t next_seq = 0;
static uint16_t boot_id = 0;
static unsigned long last_sample = 0;
static unsigned long last_progress = 0;
static bool hello_wanted = true;
static uint8_t hello_flags = stele::kHelloFlagBoot;
static stele::Decoder<16> rx;  // ACK frames are 12 bytes encoded; anything longer is skipped as oversize
static uint8_t tx[96];

// ------------------------------------------------------------------------------------------ sending

static void send_frame(size_t n) {
  if (n == 0) return;  // a configuration that does not fit tx[]: nothing sensible to send
  Serial.write(static_cast<uint8_t>(0));  // sync byte: ends any garbage the gateway may have buffered
  Serial.write(tx, n);
}

static uint32_t oldest_seq() { return ring_len ? ring[ring_head].seq : next_seq; }

static void send_hello() {
  stele::SensorInfo info[kSensorCount];
  for (uint8_t i = 0; i < kSensorCount; i++) info[i] = {kSensors[i].name, kSensors[i].unit, kSensors[i].exponent};
  send_frame(stele::encode_hello(boot_id, oldest_seq(), millis(), hello_flags, kBoardId, kFirmware, info, kSensorCount, tx, sizeof tx));
  hello_flags = 0;
  hello_wanted = false;
}

static void send_entry(uint8_t k) {
  const Entry& e = ring[(ring_head + k) % kRing];
  stele::Sample samples[kSensorCount];
  for (uint8_t i = 0; i < kSensorCount; i++) samples[i] = {i, e.raw[i]};
  // held = how many older frames the board still has, so the gateway can tell a resend gap from a loss.
  send_frame(stele::encode_data(boot_id, e.seq, e.uptime, k, samples, kSensorCount, tx, sizeof tx));
}

static void resend_all() {
  for (uint8_t k = 0; k < ring_len; k++) send_entry(k);
  last_progress = millis();
}

// ------------------------------------------------------------------------------------------ sampling

static int32_t read_sensor(const PinSensor& s) {
  int32_t v = s.analog ? analogRead(s.pin) : digitalRead(s.pin);
  return v * s.mul / s.div + s.offset;
}

static void sample() {
  if (ring_len == kRing) {  // full: the oldest unacknowledged frame is lost, newest data wins
    ring_head = (ring_head + 1) % kRing;
    ring_len--;
  }
  Entry& e = ring[(ring_head + ring_len) % kRing];
  e.seq = next_seq++;
  e.uptime = millis();
  for (uint8_t i = 0; i < kSensorCount; i++) e.raw[i] = read_sensor(kSensors[i]);
  ring_len++;
  if (ring_len == 1) last_progress = millis();
  send_entry(ring_len - 1);
}

// ------------------------------------------------------------------------------------------ receiving

static void on_ack(const stele::Ack& a) {
  if (a.flags & stele::kAckFlagHelloRequest) hello_wanted = true;
  if (!(a.flags & stele::kAckFlagSeqValid) || a.boot != boot_id) return;
  bool progress = false;
  while (ring_len && stele::seq_diff(ring[ring_head].seq, a.ack_seq) <= 0) {
    ring_head = (ring_head + 1) % kRing;
    ring_len--;
    progress = true;
  }
  if (progress) last_progress = millis();
}

static void poll_serial() {
  while (Serial.available() > 0) {
    uint8_t b = static_cast<uint8_t>(Serial.read());
    if (rx.feed(b) != stele::kFrame) continue;
    stele::Ack a;
    if (stele::frame_type(rx.body(), rx.body_len()) == stele::kTypeAck && stele::parse_ack(rx.body(), rx.body_len(), a)) on_ack(a);
  }
}

// ------------------------------------------------------------------------------------------ main

void setup() {
  Serial.begin(kBaud);
  for (uint8_t i = 0; i < kSensorCount; i++)
    if (!kSensors[i].analog) pinMode(kSensors[i].pin, INPUT_PULLUP);
  // A boot counter in EEPROM tells the gateway this is a new run: sequence numbers restart at 0.
  EEPROM.get(0, boot_id);
  boot_id++;
  EEPROM.put(0, boot_id);
  last_sample = millis();
}

void loop() {
  poll_serial();
  unsigned long now = millis();
  if (hello_wanted) send_hello();
  if (now - last_sample >= kSampleMs) {
    last_sample += kSampleMs;
    sample();
  }
  if (ring_len && now - last_progress >= kResendMs) resend_all();
}
