import { describe, it, expect } from 'vitest';
import { DEPARTMENT_CODES, DEPARTMENTS, departmentLabel, isDepartmentCode } from '../../../domain/departments';
import { CITY, COUNTIES, COUNTY_CODES, countyLabel, isCountyCode, LEADERSHIP_OFFICE } from '../../../domain/counties';
import { labelled } from '../../../domain/labels';

describe('departments', () => {
  it('lists the ten departments of the plan with short names', () => {
    expect(DEPARTMENTS).toHaveLength(10);
    expect(DEPARTMENTS.map((d) => d.code)).toEqual([...DEPARTMENT_CODES]);
    expect(departmentLabel('HRSS')).toEqual({ code: 'HRSS', label: '人社局' });
    expect(departmentLabel('DPF')).toEqual({ code: 'DPF', label: '残联' });
    expect(departmentLabel('HEALTH')).toEqual({ code: 'HEALTH', label: '卫健委' });
    expect(DEPARTMENTS.find((d) => d.code === 'MARKET_REGULATION')).toEqual({ code: 'MARKET_REGULATION', name: '市场监督管理局', short: '市场监管局' });
  });
  it('recognises only its own codes', () => {
    expect(isDepartmentCode('APPROVAL')).toBe(true);
    expect(isDepartmentCode('approval')).toBe(false);
    expect(isDepartmentCode(undefined)).toBe(false);
  });
});

describe('counties', () => {
  it('lists Yinchuan’s six county-level divisions', () => {
    expect(CITY).toEqual({ code: '640100', name: '银川市' });
    expect(COUNTIES.map((c) => `${c.code}${c.name}`)).toEqual(['640104兴庆区', '640105西夏区', '640106金凤区', '640121永宁县', '640122贺兰县', '640181灵武市']);
    expect(COUNTIES.map((c) => c.code)).toEqual([...COUNTY_CODES]);
    expect(countyLabel('640181')).toEqual(labelled('640181', '灵武市'));
  });
  it('recognises only its own codes', () => {
    expect(isCountyCode('640106')).toBe(true);
    expect(isCountyCode('640100')).toBe(false);
    expect(isCountyCode(640106)).toBe(false);
  });
  it('names the leadership office that receives escalations', () => {
    expect(LEADERSHIP_OFFICE).toEqual({ code: 'LEADERSHIP_OFFICE', label: '领导小组办公室' });
  });
});
