// Host stand-in for ESP-IDF 4.x esp_adc_cal.h: a linear 0..3300 mV characteristic.
#pragma once
#include <cstdint>

typedef enum { ADC_UNIT_1 = 1, ADC_UNIT_2 = 2 } adc_unit_t;
typedef enum { ADC_ATTEN_DB_0, ADC_ATTEN_DB_2_5, ADC_ATTEN_DB_6, ADC_ATTEN_DB_11 } adc_atten_t;
typedef enum { ADC_WIDTH_BIT_9, ADC_WIDTH_BIT_10, ADC_WIDTH_BIT_11, ADC_WIDTH_BIT_12 } adc_bits_width_t;
typedef enum { ESP_ADC_CAL_VAL_EFUSE_VREF, ESP_ADC_CAL_VAL_EFUSE_TP, ESP_ADC_CAL_VAL_DEFAULT_VREF } esp_adc_cal_value_t;
typedef struct {
  adc_unit_t adc_num;
  adc_atten_t atten;
  adc_bits_width_t bit_width;
  uint32_t coeff_a, coeff_b, vref;
} esp_adc_cal_characteristics_t;

inline esp_adc_cal_value_t esp_adc_cal_characterize(adc_unit_t unit, adc_atten_t atten, adc_bits_width_t width,
                                                    uint32_t vref, esp_adc_cal_characteristics_t* chars) {
  chars->adc_num = unit;
  chars->atten = atten;
  chars->bit_width = width;
  chars->vref = vref;
  chars->coeff_a = 3300;
  chars->coeff_b = 0;
  return ESP_ADC_CAL_VAL_DEFAULT_VREF;
}
inline uint32_t esp_adc_cal_raw_to_voltage(uint32_t raw, const esp_adc_cal_characteristics_t* chars) {
  return (raw * chars->coeff_a + 2047) / 4095 + chars->coeff_b;
}
