export { CommandAudioSink, FakeAudioSink, type AudioSink, type Sound, type CommandAudioSinkOptions } from './audio-sink.js';
export { EspeakTts, OpenJTalkTts, VoicevoxTts, type Tts, type VoiceLanguage } from './tts.js';
export { Voice, chooseBand, createTts, type VoiceConfig, type VoiceBand } from './voice.js';
