/** A page that fails to render (or whose chunk fails to load after a new release) shows why and how to go on, never a blank screen. */
import { Component, type ReactNode } from 'react';
import { Alert, Button, Space } from 'antd';

export class ErrorBoundary extends Component<{ children: ReactNode }, { error?: Error }> {
  state: { error?: Error } = {};

  static getDerivedStateFromError(error: Error) {
    return { error };
  }

  render() {
    const { error } = this.state;
    if (!error) return this.props.children;
    const chunk = /dynamically imported module|Failed to fetch|Importing a module script failed/i.test(error.message);
    return (
      <Alert
        type="error" showIcon role="alert"
        title={chunk ? '页面加载失败：网络中断或系统已更新' : '页面出错了'}
        description={
          <Space direction="vertical">
            <span>{chunk ? '请检查网络后刷新页面。已保存在本机、尚未发送的内容不会丢失。' : `请刷新页面后重试；如仍出现，请联系管理员（${error.message.slice(0, 120)}）。`}</span>
            <Button onClick={() => window.location.reload()}>刷新页面</Button>
          </Space>
        }
      />
    );
  }
}
